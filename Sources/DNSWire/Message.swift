/// A question: name, type and class.
public struct Question: Equatable, Sendable {
    public var name: DomainName
    public var type: RecordType
    public var recordClass: RecordClass

    public init(name: DomainName, type: RecordType, recordClass: RecordClass = .internet) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }
}

/// A resource record with uncompressed RDATA.
public struct ResourceRecord: Hashable, Sendable, CustomStringConvertible {
    public var name: DomainName
    public var type: RecordType
    public var recordClass: RecordClass
    public var ttl: UInt32
    public var rdata: [UInt8]

    public init(name: DomainName, type: RecordType, recordClass: RecordClass = .internet, ttl: UInt32, rdata: [UInt8]) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
        self.ttl = ttl
        self.rdata = rdata
    }

    public var description: String {
        "\(name) \(ttl) \(recordClass == .internet ? "IN" : "CLASS\(recordClass.rawValue)") \(type) "
            + RDataText.format(rdata, type: type)
    }
}

/// The EDNS(0) pseudo-record (RFC 6891 6.1).
public struct EDNSRecord: Equatable, Sendable {
    public var udpPayloadSize: UInt16
    public var extendedRcode: UInt8
    public var version: UInt8
    public var dnssecOK: Bool
    public var options: [(code: UInt16, data: [UInt8])]

    public init(udpPayloadSize: UInt16 = 1232, extendedRcode: UInt8 = 0, version: UInt8 = 0, dnssecOK: Bool = false,
                options: [(code: UInt16, data: [UInt8])] = []) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedRcode = extendedRcode
        self.version = version
        self.dnssecOK = dnssecOK
        self.options = options
    }

    public static func == (lhs: EDNSRecord, rhs: EDNSRecord) -> Bool {
        lhs.udpPayloadSize == rhs.udpPayloadSize && lhs.extendedRcode == rhs.extendedRcode
            && lhs.version == rhs.version && lhs.dnssecOK == rhs.dnssecOK
            && lhs.options.map(\.code) == rhs.options.map(\.code)
            && lhs.options.map(\.data) == rhs.options.map(\.data)
    }
}

/// A whole DNS message, parsed or to be serialized. Allocates: for tests,
/// tools and the control path, not the query hot path.
public struct Message: Equatable, Sendable {
    public var header: DNSHeader
    public var questions: [Question]
    public var answers: [ResourceRecord]
    public var authorities: [ResourceRecord]
    /// Additional records other than OPT.
    public var additionals: [ResourceRecord]
    public var edns: EDNSRecord?

    public init(header: DNSHeader = DNSHeader(), questions: [Question] = [], answers: [ResourceRecord] = [],
                authorities: [ResourceRecord] = [], additionals: [ResourceRecord] = [], edns: EDNSRecord? = nil) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
        self.edns = edns
    }

    /// The full response code: header bits plus the OPT's upper eight bits.
    public var responseCode: ResponseCode {
        ResponseCode(rawValue: UInt16(edns?.extendedRcode ?? 0) << 4 | UInt16(header.rcode))
    }

    /// A query for one question, with or without EDNS.
    public static func query(
        _ name: DomainName, _ type: RecordType, id: UInt16 = 0, recursionDesired: Bool = false,
        edns: EDNSRecord? = nil
    ) -> Message {
        var header = DNSHeader(id: id)
        header.recursionDesired = recursionDesired
        return Message(header: header, questions: [Question(name: name, type: type)], edns: edns)
    }

    public enum ParseError: Error, Equatable {
        case truncatedHeader
        case malformed(section: String, index: Int)
        case trailingBytes
    }

    /// Parses a message; every count is checked against the bytes present.
    public init(bytes: [UInt8]) throws(ParseError) {
        let result: Result<Message, ParseError> = bytes.withUnsafeBytes { raw in
            guard let header = DNSHeader(bytes: raw) else { return .failure(.truncatedHeader) }
            var reader = WireReader(raw, offset: DNSHeader.size)
            var message = Message(header: header)
            for index in 0..<Int(header.questionCount) {
                guard let name = reader.readName(), let type = reader.readUInt16(), let rclass = reader.readUInt16()
                else { return .failure(.malformed(section: "question", index: index)) }
                message.questions.append(Question(name: name, type: RecordType(type), recordClass: RecordClass(rawValue: rclass)))
            }
            func records(_ count: UInt16, _ section: String) -> Result<[ResourceRecord], ParseError> {
                var list: [ResourceRecord] = []
                for index in 0..<Int(count) {
                    guard let name = reader.readName(), let type = reader.readUInt16(),
                        let rclass = reader.readUInt16(), let ttl = reader.readUInt32(),
                        let length = reader.readUInt16(),
                        let rdata = readUncompressedRData(&reader, type: RecordType(type), length: Int(length))
                    else { return .failure(.malformed(section: section, index: index)) }
                    list.append(ResourceRecord(name: name, type: RecordType(type), recordClass: RecordClass(rawValue: rclass),
                                               ttl: ttl, rdata: rdata))
                }
                return .success(list)
            }
            switch records(header.answerCount, "answer") {
            case .success(let list): message.answers = list
            case .failure(let error): return .failure(error)
            }
            switch records(header.authorityCount, "authority") {
            case .success(let list): message.authorities = list
            case .failure(let error): return .failure(error)
            }
            switch records(header.additionalCount, "additional") {
            case .success(let list):
                for record in list {
                    if record.type == .opt, message.edns == nil {
                        message.edns = EDNSRecord(fromOPT: record)
                    } else {
                        message.additionals.append(record)
                    }
                }
            case .failure(let error): return .failure(error)
            }
            guard reader.remaining == 0 else { return .failure(.trailingBytes) }
            return .success(message)
        }
        self = try result.get()
    }

    /// Serializes with name compression. Counts are taken from the arrays.
    public func serialize(limit: Int = 65535) -> [UInt8] {
        let limit = min(limit, uncompressedSize)
        var output = [UInt8](repeating: 0, count: limit)
        let length = output.withUnsafeMutableBytes { raw -> Int in
            var writer = WireWriter(buffer: raw, limit: limit, compression: CompressionTable(), offset: DNSHeader.size)
            var header = self.header
            header.questionCount = UInt16(questions.count)
            header.answerCount = UInt16(answers.count)
            header.authorityCount = UInt16(authorities.count)
            header.additionalCount = UInt16(additionals.count + (edns == nil ? 0 : 1))
            header.write(to: raw)
            for question in questions {
                _ = writer.writeName(question.name)
                _ = writer.writeUInt16(question.type.rawValue)
                _ = writer.writeUInt16(question.recordClass.rawValue)
            }
            for record in answers + authorities + additionals {
                _ = writer.writeName(record.name)
                _ = writer.writeUInt16(record.type.rawValue)
                _ = writer.writeUInt16(record.recordClass.rawValue)
                _ = writer.writeUInt32(record.ttl)
                _ = record.rdata.withUnsafeBytes { writer.writeRData($0, type: record.type) }
            }
            if let edns {
                _ = writer.writeUInt8(0)
                _ = writer.writeUInt16(RecordType.opt.rawValue)
                _ = writer.writeUInt16(edns.udpPayloadSize)
                _ = writer.writeUInt8(edns.extendedRcode)
                _ = writer.writeUInt8(edns.version)
                _ = writer.writeUInt16(edns.dnssecOK ? UInt16(OPTRecord.dnssecOKFlag) : 0)
                let optionBytes = edns.options.flatMap { option in
                    [UInt8(option.code >> 8), UInt8(option.code & 0xFF), UInt8(option.data.count >> 8),
                     UInt8(option.data.count & 0xFF)] + option.data
                }
                _ = writer.writeUInt16(UInt16(optionBytes.count))
                _ = writer.writeBytes(optionBytes)
            }
            return writer.offset
        }
        return Array(output[0..<length])
    }
}

extension Message {
    /// The most bytes ``serialize(limit:)`` can write: every name uncompressed
    /// (compression only shortens), so the buffer need not be 64 KiB each time.
    var uncompressedSize: Int {
        var size = DNSHeader.size
        for question in questions { size += question.name.wire.count + 4 }
        for records in [answers, authorities, additionals] {
            for record in records { size += record.name.wire.count + 10 + record.rdata.count }
        }
        if let edns { size += 11 + edns.options.reduce(0) { $0 + 4 + $1.data.count } }
        return size
    }
}

extension EDNSRecord {
    /// Reads the OPT pseudo-record's fields; options that overrun are dropped.
    public init(fromOPT record: ResourceRecord) {
        udpPayloadSize = record.recordClass.rawValue
        extendedRcode = UInt8(truncatingIfNeeded: record.ttl >> 24)
        version = UInt8(truncatingIfNeeded: record.ttl >> 16)
        dnssecOK = record.ttl & 0x8000 != 0
        options = []
        var index = 0
        let data = record.rdata
        while index + 4 <= data.count {
            let code = UInt16(data[index]) << 8 | UInt16(data[index + 1])
            let length = Int(data[index + 2]) << 8 | Int(data[index + 3])
            guard index + 4 + length <= data.count else { break }
            options.append((code, Array(data[(index + 4)..<(index + 4 + length)])))
            index += 4 + length
        }
    }
}
