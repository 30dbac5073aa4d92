import DNSWire

/// Finds, checks and produces TSIG records on raw messages.
public enum TSIG {
    /// A TSIG found at the end of a message: the record and where it starts.
    public struct Found: Sendable {
        public var record: TSIGRecord
        /// Offset of the TSIG RR in the message.
        public var offset: Int
    }

    /// Locates a TSIG record as the last additional record. Nil when the
    /// message has none; throws nothing: a malformed one is reported as nil
    /// too and the caller refuses the unsigned request.
    public static func find(in message: [UInt8]) -> Found? {
        message.withUnsafeBytes { raw -> Found? in
            guard let header = DNSHeader(bytes: raw), header.additionalCount > 0 else { return nil }
            var reader = WireReader(raw, offset: DNSHeader.size)
            for _ in 0..<Int(header.questionCount) {
                guard reader.skipName(), reader.skip(4) else { return nil }
            }
            let records = Int(header.answerCount) + Int(header.authorityCount) + Int(header.additionalCount)
            var lastStart = 0
            var lastName: DomainName? = nil
            var lastType: UInt16 = 0
            var lastRData: [UInt8] = []
            for _ in 0..<records {
                lastStart = reader.offset
                guard let name = reader.readName(), let type = reader.readUInt16(), reader.skip(6),
                    let length = reader.readUInt16(), let rdata = reader.readSlice(Int(length))
                else { return nil }
                lastName = name
                lastType = type
                lastRData = Array(rdata)
            }
            guard lastType == RecordType.tsig.rawValue, let lastName,
                let record = TSIGRecord(keyName: lastName, rdata: lastRData)
            else { return nil }
            return Found(record: record, offset: lastStart)
        }
    }

    /// The message as it was before the TSIG was added: TSIG removed,
    /// ARCOUNT decremented, ID set back to the original ID.
    static func unsigned(_ message: [UInt8], found: Found) -> [UInt8] {
        var bytes = Array(message[0..<found.offset])
        let count = UInt16(bytes[10]) << 8 | UInt16(bytes[11])
        bytes[10] = UInt8((count - 1) >> 8)
        bytes[11] = UInt8((count - 1) & 0xFF)
        bytes[0] = UInt8(found.record.originalID >> 8)
        bytes[1] = UInt8(found.record.originalID & 0xFF)
        return bytes
    }

    /// The outcome of checking a signed request.
    public enum Verification: Sendable {
        case valid(key: TSIGKey, requestMAC: [UInt8])
        case failed(TSIGError, keyName: DomainName, algorithm: DomainName, originalID: UInt16, key: TSIGKey?,
                    requestMAC: [UInt8])
    }

    /// Checks a request's TSIG against the known keys (RFC 8945 5.2).
    public static func verify(_ message: [UInt8], found: Found, keys: [TSIGKey], now: UInt64) -> Verification {
        let record = found.record
        guard let key = keys.first(where: { $0.name == record.keyName && $0.algorithm.name == record.algorithm }) else {
            return .failed(.badKey, keyName: record.keyName, algorithm: record.algorithm, originalID: record.originalID,
                           key: nil, requestMAC: [])
        }
        let digest = unsigned(message, found: found) + record.variables(timersOnly: false)
        let expected = key.mac(digest)
        // Truncated MACs (RFC 8945 5.2.2.1) are not accepted: full length only.
        guard record.mac.count == expected.count, constantTimeEqual(record.mac, expected) else {
            return .failed(.badSig, keyName: record.keyName, algorithm: record.algorithm,
                           originalID: record.originalID, key: nil, requestMAC: [])
        }
        let skew = now > record.timeSigned ? now - record.timeSigned : record.timeSigned - now
        guard skew <= UInt64(record.fudge) else {
            return .failed(.badTime, keyName: record.keyName, algorithm: record.algorithm,
                           originalID: record.originalID, key: key, requestMAC: record.mac)
        }
        return .valid(key: key, requestMAC: record.mac)
    }

    /// Appends a TSIG. For a response, `priorMAC` is the request's MAC for
    /// the first message and the previous message's MAC after it (RFC 8945
    /// 5.3.1); nil signs a request. Returns the signed message and its MAC.
    public static func sign(
        _ message: [UInt8], key: TSIGKey, priorMAC: [UInt8]?, now: UInt64, subsequent: Bool,
        error: TSIGError = .none, otherData: [UInt8] = []
    ) -> (message: [UInt8], mac: [UInt8]) {
        let id = UInt16(message[0]) << 8 | UInt16(message[1])
        var record = TSIGRecord(keyName: key.name, algorithm: key.algorithm.name, timeSigned: now,
                                fudge: TSIGRecord.defaultFudge, mac: [], originalID: id, error: error.rawValue,
                                otherData: otherData)
        let prior = priorMAC.map { be16(UInt16($0.count)) + $0 } ?? []
        let digest = prior + message + record.variables(timersOnly: subsequent)
        record.mac = key.mac(digest)
        return (appendRecord(record, to: message), record.mac)
    }

    /// An unsigned TSIG carrying an error (BADKEY, BADSIG: the MAC is empty).
    public static func appendUnsigned(_ message: [UInt8], keyName: DomainName, algorithm: DomainName, originalID: UInt16,
                                      error: TSIGError, now: UInt64) -> [UInt8] {
        let record = TSIGRecord(keyName: keyName, algorithm: algorithm, timeSigned: now, fudge: TSIGRecord.defaultFudge,
                                mac: [], originalID: originalID, error: error.rawValue, otherData: [])
        return appendRecord(record, to: message)
    }

    static func appendRecord(_ record: TSIGRecord, to message: [UInt8]) -> [UInt8] {
        let rdata = record.rdata
        var bytes = message
        bytes += record.keyName.lowercased.wire + be16(RecordType.tsig.rawValue) + be16(RecordClass.any.rawValue)
        bytes += [0, 0, 0, 0] + be16(UInt16(rdata.count)) + rdata
        let count = UInt16(bytes[10]) << 8 | UInt16(bytes[11])
        bytes[10] = UInt8((count + 1) >> 8)
        bytes[11] = UInt8((count + 1) & 0xFF)
        return bytes
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
