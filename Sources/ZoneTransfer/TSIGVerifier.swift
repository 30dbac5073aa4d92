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
        /// A MAC size no signer may use (RFC 8945 5.2.2.1): the reply is
        /// FORMERR, without a TSIG.
        case malformed
        /// NOTAUTH, with a TSIG carrying the error.
        case failed(Failure)
    }

    /// Why a signed request is refused, and what the reply's TSIG needs.
    public struct Failure: Sendable {
        public var error: TSIGError
        /// The request's TSIG record.
        public var request: TSIGRecord
        /// Set when the request's MAC verified (BADTIME, BADTRUNC): the error
        /// reply is then signed with it; otherwise it is unsigned (RFC 8945 5.3.2).
        public var key: TSIGKey?
    }

    /// Checks a request's TSIG against the known keys, in the order of RFC
    /// 8945 5.2: key and algorithm (BADKEY), MAC (BADSIG), time (BADTIME).
    ///
    /// Truncation (5.2.2.1): a MAC longer than the hash, or shorter than
    /// max(10 bytes, half the hash), is malformed (FORMERR). Our policy
    /// accepts full-length MACs only: a shorter MAC that verifies, within the
    /// time window, is BADTRUNC.
    public static func verify(_ message: [UInt8], found: Found, keys: [TSIGKey], now: UInt64) -> Verification {
        let record = found.record
        guard let key = keys.first(where: { $0.name == record.keyName && $0.algorithm.name == record.algorithm }) else {
            return .failed(Failure(error: .badKey, request: record, key: nil))
        }
        let digest = unsigned(message, found: found) + record.variables(timersOnly: false)
        let expected = key.mac(digest)
        guard record.mac.count <= expected.count, record.mac.count >= max(minimumMAC, expected.count / 2) else {
            return .malformed
        }
        guard constantTimeEqual(record.mac, Array(expected[0..<record.mac.count])) else {
            return .failed(Failure(error: .badSig, request: record, key: nil))
        }
        let skew = now > record.timeSigned ? now - record.timeSigned : record.timeSigned - now
        guard skew <= UInt64(record.fudge) else {
            return .failed(Failure(error: .badTime, request: record, key: key))
        }
        guard record.mac.count == expected.count else {
            return .failed(Failure(error: .badTrunc, request: record, key: key))
        }
        return .valid(key: key, requestMAC: record.mac)
    }

    /// Shortest MAC RFC 8945 5.2.2.1 lets anyone send: 10 bytes (80 bits).
    static let minimumMAC = 10

    /// Appends the TSIG of an error reply to `reply` (a NOTAUTH message for
    /// the request): unsigned with an empty MAC for BADKEY and BADSIG; signed
    /// over the request's MAC otherwise. A BADTIME reply keeps the request's
    /// time and carries ours in Other Data, so the client can verify it and
    /// see the skew (RFC 8945 5.2.3).
    public static func appendError(to reply: [UInt8], failure: Failure, now: UInt64) -> [UInt8] {
        let request = failure.request
        guard let key = failure.key else {
            return appendUnsigned(reply, keyName: request.keyName, algorithm: request.algorithm,
                                  originalID: request.originalID, error: failure.error, now: now)
        }
        if failure.error == .badTime {
            return sign(reply, key: key, priorMAC: request.mac, now: request.timeSigned, subsequent: false,
                        error: .badTime, otherData: uint48(now)).message
        }
        return sign(reply, key: key, priorMAC: request.mac, now: now, subsequent: false, error: failure.error).message
    }

    /// Bytes a TSIG record signed with `key` adds to a message (no Other Data).
    public static func recordSize(for key: TSIGKey) -> Int {
        // Owner, type, class, TTL, RDLENGTH; then algorithm, time (6), fudge,
        // MAC size, MAC, original ID, error, other length (2 each).
        key.name.wire.count + 10 + key.algorithm.name.wire.count + 6 + 2 + 2 + key.algorithm.macLength + 2 + 2 + 2
    }

    /// A 48-bit big-endian time, as TSIG writes Time Signed.
    static func uint48(_ value: UInt64) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 40), UInt8(truncatingIfNeeded: value >> 32),
         UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
         UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
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
