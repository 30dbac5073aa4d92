import DNSWire
import ZoneData

/// The pure DNS engine: one query's bytes in, one response's bytes out, from
/// an immutable snapshot. No sockets, no clocks, no allocation per query.
/// Transports call `respond` with a per-worker `QueryScratch`.
public struct QueryEngine: Sendable {
    /// Behaviour that configuration may change.
    public struct Options: Sendable {
        /// UDP payload we advertise and honour: the DNS flag day 2020 value,
        /// which avoids IP fragmentation on common paths.
        public var maxUDPPayload: Int = 1232
        /// Longest CNAME chain followed inside the zone (loops stop here too).
        public var maxCNAMEChain: Int = 8

        public init() {}
    }

    /// Smallest UDP payload every client accepts (RFC 1035 2.3.4).
    static let classicUDPPayload = 512
    /// A TCP message's length prefix is 16 bits.
    static let maxTCPMessage = 65535

    public let options: Options

    public init(options: Options = Options()) {
        self.options = options
    }

    /// Answers one query. Returns the outcome; `outcome.length` bytes of
    /// `response` hold the reply, or nothing when it is dropped. `now` (ms
    /// since the Unix epoch, read once per batch by the caller) drives the TTL
    /// countdown of groups with a pending switch.
    /// `client` and `cookies` enable DNS cookies (RFC 7873, RFC 9018).
    /// A query ending with a TSIG record is not answered here: the outcome
    /// is `.needsTSIG`. `reserve` bytes are kept free at the end of the
    /// reply's size limit, for the TSIG record a signer appends.
    public func respond(
        to query: UnsafeRawBufferPointer, into response: UnsafeMutableRawBufferPointer,
        transport: Transport, snapshot: ZoneSnapshot, scratch: QueryScratch, now: Int64 = 0,
        client: IPAddress? = nil, cookies: CookieSecrets? = nil, reserve: Int = 0
    ) -> QueryOutcome {
        var outcome = respondWithoutCookieFacts(to: query, into: response, transport: transport, snapshot: snapshot,
                                                scratch: scratch, now: now, client: client, cookies: cookies,
                                                reserve: reserve)
        outcome.validCookie = scratch.validCookie
        return outcome
    }

    func respondWithoutCookieFacts(
        to query: UnsafeRawBufferPointer, into response: UnsafeMutableRawBufferPointer,
        transport: Transport, snapshot: ZoneSnapshot, scratch: QueryScratch, now: Int64,
        client: IPAddress?, cookies: CookieSecrets?, reserve: Int
    ) -> QueryOutcome {
        scratch.validCookie = false
        scratch.hasReplyCookie = false
        guard let header = DNSHeader(bytes: query), !header.isResponse else { return .dropped }
        var request = ParsedQuery(header: header)
        request.reserve = reserve

        if header.opcode == .notify, header.questionCount == 1, parseQuestion(query, &request, scratch: scratch) {
            // We are the primary: nobody else's NOTIFY concerns us (RFC 1996).
            return writeBare(request, rcode: .refused, query: query, into: response, transport: transport, scratch: scratch)
        }
        if header.opcode != .query {
            request.hasQuestion = false
            return writeBare(request, rcode: .notImp, query: query, into: response, transport: transport, scratch: scratch)
        }
        guard header.questionCount == 1 else {
            return writeBare(request, rcode: .formErr, query: query, into: response, transport: transport, scratch: scratch)
        }
        guard parseQuestion(query, &request, scratch: scratch) else { return .dropped }
        // Only IXFR carries a record outside the additional section: the
        // secondary's SOA in authority (RFC 1995 3).
        let isIXFR = request.queryType == RecordType.ixfr.rawValue
        guard header.answerCount == 0, header.authorityCount == 0 || (isIXFR && header.authorityCount == 1),
            parseAdditional(query, &request)
        else {
            return writeBare(request, rcode: .formErr, query: query, into: response, transport: transport, scratch: scratch)
        }
        if request.hasTSIG { return .needsTSIG(request.queryType) }
        if let clientCookie = request.clientCookieOffset, let client, let cookies {
            prepareCookie(query, clientCookieAt: clientCookie, request: request, client: client, secrets: cookies,
                          now: UInt32(truncatingIfNeeded: now / 1000), scratch: scratch)
        }
        if let version = request.ednsVersion, version != 0 {
            return writeBare(request, rcode: .badVers, query: query, into: response, transport: transport, scratch: scratch)
        }
        if request.queryClass != RecordClass.internet.rawValue {
            return writeBare(request, rcode: .refused, query: query, into: response, transport: transport, scratch: scratch)
        }
        let queryType = RecordType(request.queryType)
        if queryType == .opt {
            return writeBare(request, rcode: .formErr, query: query, into: response, transport: transport, scratch: scratch)
        }
        // IXFR over UDP: the current SOA tells the secondary to come over TCP
        // or that it is up to date (RFC 1995 2).
        if queryType == .ixfr, transport == .udp {
            request.queryType = RecordType.soa.rawValue
        } else if queryType.isMetaType && queryType != .any {
            // Transfers go to the transfer responder over TCP; the mail meta-types are not served.
            let rcode: ResponseCode = (queryType == .axfr || queryType == .ixfr) && transport == .tcp ? .refused : .notImp
            return writeBare(request, rcode: rcode, query: query, into: response, transport: transport, scratch: scratch)
        }
        let questionName = UnsafeRawBufferPointer(rebasing: scratch.lowercasedName[0..<request.nameLength])
        guard let originAt = originStart(of: questionName, labelCount: request.labelCount, snapshot: snapshot,
                                            scratch: scratch)
        else {
            return writeBare(request, rcode: .refused, query: query, into: response, transport: transport, scratch: scratch)
        }
        // A group is one label, NNN-NNN-NNN, directly under the origin.
        if originAt == 12, scratch.lowercasedName[0] == 11, snapshot.groups.count > 0,
            let address = GroupTable.address(fromLabel: UnsafeRawBufferPointer(rebasing: scratch.lowercasedName[1..<originAt])),
            let group = snapshot.groups.find(address)
        {
            return answerGroup(request, group: group, query: query, into: response, transport: transport,
                               snapshot: snapshot, scratch: scratch, now: now)
        }
        return answer(request, originAt: originAt, query: query, into: response, transport: transport,
                      snapshot: snapshot, scratch: scratch)
    }

    /// Header fields and positions of a query that passed the first checks.
    struct ParsedQuery {
        var header: DNSHeader
        var questionEnd = DNSHeader.size
        var nameLength = 0
        var labelCount = 0
        var queryType: UInt16 = 0
        var queryClass: UInt16 = 0
        var hasQuestion = false
        var hasEDNS = false
        var ednsVersion: UInt8? = nil
        var ednsPayload = 0
        var dnssecOK = false
        /// Where the 8-byte client cookie sits in the query, if sent.
        var clientCookieOffset: Int? = nil
        var serverCookieOffset = 0
        var serverCookieLength = 0
        /// The last additional record is a TSIG.
        var hasTSIG = false
        /// Bytes kept free below the size limit (room for a TSIG record).
        var reserve = 0
    }

    /// Checks the query's server cookie and makes the reply's cookie.
    func prepareCookie(
        _ query: UnsafeRawBufferPointer, clientCookieAt offset: Int, request: ParsedQuery, client: IPAddress,
        secrets: CookieSecrets, now: UInt32, scratch: QueryScratch
    ) {
        let clientCookie = UnsafeRawBufferPointer(rebasing: query[offset..<(offset + 8)])
        if request.serverCookieLength > 0 {
            let start = request.serverCookieOffset
            scratch.validCookie = Self.serverCookieIsValid(
                UnsafeRawBufferPointer(rebasing: query[start..<(start + request.serverCookieLength)]),
                clientCookie: clientCookie, client: client, secrets: secrets, now: now, scratch: scratch)
        }
        let reply = scratch.replyCookie
        for index in 0..<8 { reply[index] = clientCookie[index] }
        reply[8] = 1
        reply[9] = 0
        reply[10] = 0
        reply[11] = 0
        reply.storeBigEndianUInt32(now, at: 12)
        let hash = Self.cookieHash(clientCookie: clientCookie, version: 1, reserved: (0, 0, 0), timestamp: now,
                                   client: client, key: secrets.current, scratch: scratch)
        for index in 0..<8 { reply[16 + index] = UInt8(truncatingIfNeeded: hash >> (8 * UInt64(index))) }
        scratch.hasReplyCookie = true
    }

    /// Size of our OPT record: with a COOKIE option when replying with one.
    @inline(__always)
    func optSize(_ scratch: QueryScratch) -> Int {
        scratch.hasReplyCookie
            ? OPTRecord.fixedSize + OPTRecord.optionHeaderSize + scratch.replyCookie.count : OPTRecord.fixedSize
    }

    /// Reads the question in place: uncompressed labels only (a pointer can
    /// only point into the header here), lowercased into scratch.
    func parseQuestion(_ query: UnsafeRawBufferPointer, _ request: inout ParsedQuery, scratch: QueryScratch) -> Bool {
        var position = DNSHeader.size
        var length = 0
        var labels = 0
        let lower = scratch.lowercasedName
        while true {
            guard position < query.count else { return false }
            let labelLength = Int(query[position])
            if labelLength == 0 {
                lower[length] = 0
                length += 1
                position += 1
                break
            }
            guard labelLength <= DomainName.maxLabelLength, position + 1 + labelLength <= query.count,
                length + 1 + labelLength + 1 <= DomainName.maxWireLength
            else { return false }
            scratch.labelOffsets[labels] = length
            labels += 1
            lower[length] = UInt8(labelLength)
            for index in 1...labelLength {
                lower[length + index] = asciiLowercase(query[position + index])
            }
            length += 1 + labelLength
            position += 1 + labelLength
        }
        guard position + 4 <= query.count else { return false }
        request.queryType = query.loadBigEndianUInt16(at: position)
        request.queryClass = query.loadBigEndianUInt16(at: position + 2)
        request.questionEnd = position + 4
        request.nameLength = length
        request.labelCount = labels
        request.hasQuestion = true
        return true
    }

    /// Walks the additional section: at most one OPT (owner root, options
    /// well formed) and TSIG only last. False means FORMERR.
    func parseAdditional(_ query: UnsafeRawBufferPointer, _ request: inout ParsedQuery) -> Bool {
        var reader = WireReader(query, offset: request.questionEnd)
        for _ in 0..<Int(request.header.authorityCount) {
            guard reader.skipName(), reader.skip(8), let length = reader.readUInt16(), reader.skip(Int(length)) else {
                return false
            }
        }
        let count = Int(request.header.additionalCount)
        for index in 0..<count {
            let ownerStart = reader.offset
            guard reader.skipName(), let type = reader.readUInt16(), let recordClass = reader.readUInt16(),
                let ttl = reader.readUInt32(), let length = reader.readUInt16(), reader.remaining >= Int(length)
            else { return false }
            if type == RecordType.opt.rawValue {
                guard !request.hasEDNS, query[ownerStart] == 0 else { return false }
                request.hasEDNS = true
                request.ednsPayload = Int(recordClass)
                request.ednsVersion = UInt8(truncatingIfNeeded: ttl >> 16)
                request.dnssecOK = ttl & OPTRecord.dnssecOKFlag != 0
                var options = WireReader(UnsafeRawBufferPointer(rebasing: query[reader.offset..<(reader.offset + Int(length))]))
                while options.remaining > 0 {
                    guard let code = options.readUInt16(), let optionLength = options.readUInt16() else { return false }
                    let valueStart = reader.offset + options.offset
                    guard options.skip(Int(optionLength)) else { return false }
                    if code == OPTRecord.cookieOptionCode {
                        // RFC 7873 5.2.2: a client cookie alone (8) or with a server cookie (8 to 32).
                        guard optionLength == 8 || (optionLength >= 16 && optionLength <= 40) else { return false }
                        request.clientCookieOffset = valueStart
                        request.serverCookieOffset = valueStart + 8
                        request.serverCookieLength = Int(optionLength) - 8
                    }
                }
            } else if type == RecordType.tsig.rawValue {
                guard index == count - 1 else { return false }
                request.hasTSIG = true
            }
            _ = reader.skip(Int(length))
        }
        return true
    }

    /// Response size limit for this query and transport.
    func sizeLimit(_ request: ParsedQuery, transport: Transport, capacity: Int) -> Int {
        let limit: Int
        switch transport {
        case .tcp:
            limit = min(capacity, Self.maxTCPMessage)
        case .udp:
            if request.hasEDNS {
                limit = min(capacity, max(Self.classicUDPPayload, request.ednsPayload), options.maxUDPPayload)
            } else {
                limit = min(capacity, Self.classicUDPPayload)
            }
        }
        return limit - request.reserve
    }

    /// Copies the question into `response` and returns a writer after it whose limit keeps room for
    /// our OPT; nil when not even that fits (the query is dropped).
    @inline(__always)
    func writerAfterQuestion(
        _ request: ParsedQuery, query: UnsafeRawBufferPointer, into response: UnsafeMutableRawBufferPointer,
        transport: Transport, scratch: QueryScratch
    ) -> WireWriter? {
        let limit = sizeLimit(request, transport: transport, capacity: response.count)
        let optReserve = request.hasEDNS ? optSize(scratch) : 0
        guard request.questionEnd + optReserve <= limit else { return nil }
        UnsafeMutableRawBufferPointer(rebasing: response[DNSHeader.size..<request.questionEnd])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: query[DNSHeader.size..<request.questionEnd]))
        return WireWriter(buffer: response, limit: limit - optReserve, compression: scratch.compression,
                          offset: request.questionEnd)
    }

    /// Header (and the question, when it was readable) plus OPT when the query
    /// had one; used for errors and refusals.
    func writeBare(
        _ request: ParsedQuery, rcode: ResponseCode, query: UnsafeRawBufferPointer,
        into response: UnsafeMutableRawBufferPointer, transport: Transport, scratch: QueryScratch
    ) -> QueryOutcome {
        let limit = sizeLimit(request, transport: transport, capacity: response.count)
        var header = responseHeader(request.header)
        header.rcode = UInt8(rcode.rawValue & 0xF)
        var offset = DNSHeader.size
        if request.hasQuestion, request.questionEnd <= limit - (request.hasEDNS ? optSize(scratch) : 0) {
            UnsafeMutableRawBufferPointer(rebasing: response[DNSHeader.size..<request.questionEnd])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: query[DNSHeader.size..<request.questionEnd]))
            offset = request.questionEnd
            header.questionCount = 1
        }
        if request.hasEDNS {
            offset = writeOPT(into: response, at: offset, extendedRcode: UInt8(rcode.rawValue >> 4),
                              dnssecOK: request.dnssecOK, scratch: scratch)
            header.additionalCount = 1
        }
        header.write(to: response)
        return QueryOutcome(disposition: .answered, length: offset, rcode: rcode,
                            queryType: RecordType(request.queryType), truncated: false,
                            questionEnd: header.questionCount == 1 ? request.questionEnd : DNSHeader.size)
    }

    /// QR set; ID, opcode and RD copied; AA, TC, RA, Z, AD, CD and counts clear.
    @inline(__always)
    func responseHeader(_ query: DNSHeader) -> DNSHeader {
        var header = DNSHeader(id: query.id)
        header.isResponse = true
        header.opcode = query.opcode
        header.recursionDesired = query.recursionDesired
        return header
    }

    /// Writes our OPT record: payload size, extended rcode, version 0, DO
    /// echoed, and our COOKIE when the client sent one; no other options.
    @inline(__always)
    func writeOPT(into response: UnsafeMutableRawBufferPointer, at offset: Int, extendedRcode: UInt8, dnssecOK: Bool,
                  scratch: QueryScratch) -> Int
    {
        OPTRecord.write(into: response, at: offset, payloadSize: UInt16(options.maxUDPPayload),
                        extendedRcode: extendedRcode, dnssecOK: dnssecOK,
                        option: scratch.hasReplyCookie
                            ? (OPTRecord.cookieOptionCode, UnsafeRawBufferPointer(scratch.replyCookie)) : nil)
    }
}
