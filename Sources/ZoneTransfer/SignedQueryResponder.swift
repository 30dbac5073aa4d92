import DNSWire
import QueryEngine
import ZoneData

/// Answers ordinary queries that carry a TSIG record (RFC 8945 5.2), over
/// UDP and TCP: the slow path taken when the engine reports `.needsTSIG`.
///
/// The TSIG is checked against the configured keys. A valid one gets the
/// engine's answer to the query without it, signed with the same key over
/// the request's MAC (5.3.1). A failed one gets NOTAUTH with the error in
/// the reply's TSIG: unsigned for BADKEY and BADSIG, signed for BADTIME and
/// BADTRUNC (5.3.2). A malformed TSIG, or a MAC size nobody may send, gets
/// FORMERR without a TSIG.
public struct SignedQueryResponder: Sendable {
    /// Largest error reply sent over UDP: the size every client accepts
    /// (RFC 1035 2.3.4). Error replies carry no OPT, and exceed it only for
    /// absurdly long names in the question and TSIG: those are not answered.
    static let udpErrorLimit = 512

    public let engine: QueryEngine
    public let keys: [TSIGKey]

    public init(engine: QueryEngine, keys: [TSIGKey]) {
        self.engine = engine
        self.keys = keys
    }

    /// Writes the reply to a query ending with a TSIG into `response` and
    /// returns its outcome (dropped when the reply cannot be written). `now`
    /// is ms since the Unix epoch, as for `QueryEngine.respond`.
    public func respond(
        to query: UnsafeRawBufferPointer, into response: UnsafeMutableRawBufferPointer, transport: Transport,
        snapshot: ZoneSnapshot, scratch: QueryScratch, now: Int64, client: IPAddress? = nil,
        cookies: CookieSecrets? = nil
    ) -> QueryOutcome {
        let bytes = Array(query)
        let seconds = UInt64(max(0, now / 1000))
        guard let found = TSIG.find(in: bytes) else {
            return write(errorReply(to: bytes, rcode: .formErr), into: response, transport: transport, rcode: .formErr,
                         query: bytes)
        }
        switch TSIG.verify(bytes, found: found, keys: keys, now: seconds) {
        case .malformed:
            return write(errorReply(to: bytes, rcode: .formErr), into: response, transport: transport, rcode: .formErr,
                         query: bytes)
        case .failed(let failure):
            let reply = TSIG.appendError(to: errorReply(to: bytes, rcode: .notAuth), failure: failure, now: seconds)
            return write(reply, into: response, transport: transport, rcode: .notAuth, query: bytes)
        case .valid(let key, let requestMAC):
            let unsigned = TSIG.unsigned(bytes, found: found)
            var outcome = unsigned.withUnsafeBytes { plain in
                engine.respond(to: plain, into: response, transport: transport, snapshot: snapshot, scratch: scratch,
                               now: now, client: client, cookies: cookies, reserve: TSIG.recordSize(for: key))
            }
            guard outcome.disposition == .answered else { return .dropped }
            let answer = Array(UnsafeRawBufferPointer(rebasing: response[0..<outcome.length]))
            let signed = TSIG.sign(answer, key: key, priorMAC: requestMAC, now: seconds, subsequent: false).message
            guard signed.count <= response.count else { return .dropped }
            UnsafeMutableRawBufferPointer(rebasing: response[0..<signed.count]).copyBytes(from: signed)
            // The MAC covers the original ID (RFC 8945 4.3.1); the reply carries the one the client sent.
            response[0] = bytes[0]
            response[1] = bytes[1]
            outcome.length = signed.count
            return outcome
        }
    }

    /// Header and question of the request (when readable) with `rcode`:
    /// the body of FORMERR and NOTAUTH replies.
    func errorReply(to query: [UInt8], rcode: ResponseCode) -> [UInt8] {
        guard let header = query.withUnsafeBytes({ DNSHeader(bytes: $0) }) else { return [] }
        var reply = DNSHeader(id: header.id)
        reply.isResponse = true
        reply.opcode = header.opcode
        reply.recursionDesired = header.recursionDesired
        reply.rcode = UInt8(rcode.rawValue & 0xF)
        let questionEnd = Self.questionEnd(of: query)
        if questionEnd > DNSHeader.size { reply.questionCount = 1 }
        var bytes = [UInt8](repeating: 0, count: DNSHeader.size) + query[DNSHeader.size..<questionEnd]
        bytes.withUnsafeMutableBytes { reply.write(to: $0) }
        return bytes
    }

    /// End of the single question, or the header's end when there is none.
    static func questionEnd(of query: [UInt8]) -> Int {
        query.withUnsafeBytes { raw in
            guard let header = DNSHeader(bytes: raw), header.questionCount == 1 else { return DNSHeader.size }
            var reader = WireReader(raw, offset: DNSHeader.size)
            guard reader.skipName(), reader.skip(4) else { return DNSHeader.size }
            return reader.offset
        }
    }

    func write(_ reply: [UInt8], into response: UnsafeMutableRawBufferPointer, transport: Transport,
               rcode: ResponseCode, query: [UInt8]) -> QueryOutcome {
        let limit = transport == .udp ? min(Self.udpErrorLimit, response.count) : response.count
        guard reply.count >= DNSHeader.size, reply.count <= limit else { return .dropped }
        UnsafeMutableRawBufferPointer(rebasing: response[0..<reply.count]).copyBytes(from: reply)
        let questionEnd = Self.questionEnd(of: query)
        var queryType = RecordType(0)
        if questionEnd > DNSHeader.size {
            queryType = RecordType(UInt16(query[questionEnd - 4]) << 8 | UInt16(query[questionEnd - 3]))
        }
        return QueryOutcome(disposition: .answered, length: reply.count, rcode: rcode, queryType: queryType,
                            truncated: false, questionEnd: questionEnd)
    }
}
