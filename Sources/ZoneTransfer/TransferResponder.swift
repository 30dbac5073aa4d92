import DNSWire
import ZoneData

/// Answers AXFR (RFC 5936) and IXFR (RFC 1995) over TCP: checks the policy
/// and TSIG (RFC 8945), then renders the zone or the deltas since the
/// secondary's serial into messages, each signed when the request was.
public struct TransferResponder: Sendable {
    /// Answer bytes per message before starting the next one: small enough
    /// to stream, large enough to keep the message count low.
    static let messageTarget = 16_000
    /// Room kept free at the end of each message for the TSIG record.
    static let tsigReserve = 512

    public let policy: TransferPolicy
    public let log: TransferLog

    public init(policy: TransferPolicy, log: TransferLog) {
        self.policy = policy
        self.log = log
    }

    /// True when the bytes are an AXFR or IXFR query (so the caller routes
    /// them here instead of to the query engine).
    public static func isTransferQuery(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let header = DNSHeader(bytes: bytes), !header.isResponse, header.opcode == .query,
            header.questionCount == 1
        else { return false }
        var reader = WireReader(bytes, offset: DNSHeader.size)
        guard reader.skipName(), let type = reader.readUInt16() else { return false }
        return type == RecordType.axfr.rawValue || type == RecordType.ixfr.rawValue
    }

    /// The response messages for a transfer request from `peer` (nil: a
    /// peer without an IP address, always refused). `now` is seconds since the epoch (TSIG time).
    public func respond(to query: [UInt8], peer: IPAddress?, snapshot: ZoneSnapshot, now: UInt64) -> [[UInt8]] {
        guard let message = try? Message(bytes: query), let question = message.questions.first else {
            return [errorMessage(for: query, rcode: .formErr)]
        }
        var signing: (key: TSIGKey, mac: [UInt8])? = nil
        if let found = TSIG.find(in: query) {
            switch TSIG.verify(query, found: found, keys: policy.keys, now: now) {
            case .valid(let key, let mac):
                signing = (key, mac)
            case .malformed:
                return [errorMessage(for: query, rcode: .formErr, question: message.questions)]
            case .failed(let failure):
                let reply = errorMessage(for: query, rcode: .notAuth, question: message.questions)
                return [TSIG.appendError(to: reply, failure: failure, now: now)]
            }
        }
        func finish(_ messages: [[UInt8]]) -> [[UInt8]] {
            guard let signing else { return messages }
            var prior = signing.mac
            var signed: [[UInt8]] = []
            for (index, message) in messages.enumerated() {
                let result = TSIG.sign(message, key: signing.key, priorMAC: prior, now: now, subsequent: index > 0)
                signed.append(result.message)
                prior = result.mac
            }
            return signed
        }
        guard question.recordClass == .internet, question.name == snapshot.zone.origin else {
            return finish([errorMessage(for: query, rcode: .notAuth, question: message.questions)])
        }
        guard policy.allows(peer: peer, signedWith: signing?.key.name) else {
            return finish([errorMessage(for: query, rcode: .refused, question: message.questions)])
        }
        let soa = ZoneRecords.soa(snapshot)
        var answers: [ResourceRecord]
        if question.type == .ixfr, let theirs = message.authorities.first(where: { $0.type == .soa }),
            theirs.rdata.count >= SOAFields.serialFromEnd
        {
            let serial = SOAFields.serial(of: theirs.rdata)
            if !serialIsOlder(serial, than: snapshot.serial) {
                answers = [soa]  // up to date (RFC 1995 2)
            } else if let deltas = log.deltas(from: serial, to: snapshot.serial) {
                answers = [soa]
                for delta in deltas {
                    answers.append(soaWith(serial: delta.from, from: soa))
                    answers += delta.removed
                    answers.append(soaWith(serial: delta.to, from: soa))
                    answers += delta.added
                }
                answers.append(soa)
            } else {
                answers = [soa] + ZoneRecords.all(snapshot, pendingTTL: policy.pendingTTL) + [soa]
            }
        } else {
            answers = [soa] + ZoneRecords.all(snapshot, pendingTTL: policy.pendingTTL) + [soa]
        }
        return finish(pack(answers, query: message, questionBytes: questionBytes(query)))
    }

    /// RFC 1982: is `a` older than `b`?
    func serialIsOlder(_ a: UInt32, than b: UInt32) -> Bool {
        a != b && (b &- a) < 0x8000_0000
    }

    func soaWith(serial: UInt32, from soa: ResourceRecord) -> ResourceRecord {
        var copy = soa
        SOAFields.setSerial(serial, in: &copy.rdata)
        return copy
    }

    func questionBytes(_ query: [UInt8]) -> [UInt8] {
        query.withUnsafeBytes { raw in
            var reader = WireReader(raw, offset: DNSHeader.size)
            _ = reader.skipName()
            _ = reader.skip(4)
            return Array(query[DNSHeader.size..<reader.offset])
        }
    }

    /// Splits records into messages: the question in the first only.
    func pack(_ records: [ResourceRecord], query: Message, questionBytes: [UInt8]) -> [[UInt8]] {
        var messages: [[UInt8]] = []
        let compression = CompressionTable()
        var buffer = [UInt8](repeating: 0, count: 65535)
        var index = 0
        repeat {
            compression.reset()
            let first = messages.isEmpty
            let length = buffer.withUnsafeMutableBytes { raw -> Int in
                var writer = WireWriter(buffer: raw, limit: 65535 - Self.tsigReserve, compression: compression,
                                        offset: DNSHeader.size)
                if first {
                    _ = questionBytes.withUnsafeBytes { writer.writeBytes($0) }
                    writer.registerName(at: DNSHeader.size)
                }
                var count = 0
                while index < records.count, writer.offset < Self.messageTarget {
                    let record = records[index]
                    let mark = writer.mark()
                    guard writer.writeName(record.name), writer.writeUInt16(record.type.rawValue),
                        writer.writeUInt16(record.recordClass.rawValue), writer.writeUInt32(record.ttl),
                        record.rdata.withUnsafeBytes({ writer.writeRData($0, type: record.type) })
                    else {
                        writer.rollback(to: mark)
                        break
                    }
                    count += 1
                    index += 1
                }
                var header = DNSHeader(id: query.header.id)
                header.isResponse = true
                header.isAuthoritative = true
                header.questionCount = first ? 1 : 0
                header.answerCount = UInt16(count)
                header.write(to: raw)
                return writer.offset
            }
            messages.append(Array(buffer[0..<length]))
            if index < records.count, messages.last.map({ $0[6] == 0 && $0[7] == 0 }) == true {
                // A record that fits no message at all (the zone loader refuses
                // these): stop rather than send empty messages for ever.
                return [errorMessage(for: query.serialize(), rcode: .servFail, question: query.questions)]
            }
        } while index < records.count
        return messages
    }

    /// A header-and-question reply with an error code.
    func errorMessage(for query: [UInt8], rcode: ResponseCode, question: [Question] = []) -> [UInt8] {
        var header = DNSHeader(id: query.count >= 2 ? UInt16(query[0]) << 8 | UInt16(query[1]) : 0)
        header.isResponse = true
        header.rcode = UInt8(rcode.rawValue & 0xF)
        var message = Message(header: header, questions: question)
        message.header.questionCount = UInt16(question.count)
        return message.serialize()
    }
}
