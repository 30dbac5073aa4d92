import DNSWire
import QueryEngine
import ZoneData
import ZoneTransfer

/// One input of the `wire` fuzz target: bytes from the network, through the
/// message parser, the query engine (UDP and TCP) and, for AXFR/IXFR, the
/// transfer responder with TSIG. Shared by the libFuzzer entry point
/// (Fuzz/wire.swift) and the regression tests, so both take the same path.
/// Returns nil when every invariant holds, or what broke.
public enum WireCheck {
    /// Zone origin, and the TSIG clock every signed seed uses.
    public static let origin = try! DomainName("example.test")
    public static let tsigNow: UInt64 = 1_800_000_000
    /// Group countdown clock (ms): one group has a switch due 10 s later.
    static let now: Int64 = 1_800_000_000_000

    static let zoneText = """
        $TTL 300
        @ IN SOA ns1 hostmaster 4242 3600 900 1209600 60
        @ IN NS ns1
        @ IN NS ns2.elsewhere.net.
        @ IN MX 10 mail
        @ IN TXT "v=spf1 -all"
        ns1 IN A 192.0.2.1
        ns1 IN AAAA 2001:db8::1
        mail IN A 192.0.2.25
        www IN A 192.0.2.80
        www IN AAAA 2001:db8::80
        alias IN CNAME www
        chain1 IN CNAME chain2
        chain2 IN CNAME www
        loop1 IN CNAME loop2
        loop2 IN CNAME loop1
        dangling IN CNAME missing
        external IN CNAME target.elsewhere.net.
        towild IN CNAME x.wild
        *.wild IN A 192.0.2.99
        *.wild IN TXT "wild"
        a.b.ent IN TXT "deep"
        sub IN NS ns.sub
        sub IN NS ns.elsewhere.net.
        ns.sub IN A 192.0.2.53
        _sip._tcp IN SRV 0 5 5060 www
        opaque IN TYPE65000 \\# 2 abcd
        caa IN CAA 0 issue "ca.example.net"

        """ + (0..<40).map { "big IN TXT \"record \($0) padded to make the set larger than one UDP datagram\"" }
        .joined(separator: "\n") + "\n"

    static let zone = try! ZoneFileLoader.load(text: zoneText, origin: origin)

    /// Groups: a hostname web head with a pending switch, an address web
    /// head, and a group without one.
    static let snapshot: ZoneSnapshot = {
        let answers = [
            WebHeadAnswer.hostname(try! DomainName("lb-1.Example.net")),
            WebHeadAnswer.addresses([[192, 0, 2, 10], [192, 0, 2, 11], Array(repeating: 0x20, count: 16)]),
        ]
        let table = GroupTable(ttl: 30, answers: answers, entries: [
            .init(address: 414_262_781, answer: 0, due: now + 10_000),
            .init(address: 4_262_781, answer: 1, due: 0),
            .init(address: 999_999_999, answer: -1, due: 0),
        ])
        return ZoneSnapshot(zone: zone, groups: table, serial: 4242)
    }()

    public static let key = try! TSIGKey(name: "transfer-key", algorithm: "hmac-sha256",
                                         base64Secret: "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=")

    /// 127.0.0.0/8 may transfer unsigned; 192.0.2.0/24 must sign with the key.
    static let responder: TransferResponder = {
        let log = TransferLog()
        let a = [UInt8]([192, 0, 2, 7])
        let old = ResourceRecord(name: try! DomainName("www.example.test"), type: .a, ttl: 300, rdata: a)
        let new = ResourceRecord(name: try! DomainName("www.example.test"), type: .a, ttl: 300, rdata: [192, 0, 2, 80])
        log.append(from: 4240, to: 4241, removed: [], added: [old])
        log.append(from: 4241, to: 4242, removed: [old], added: [new])
        let policy = TransferPolicy(rules: [
            .init(prefix: AddressPrefix("127.0.0.0/8")!, keyName: nil),
            .init(prefix: AddressPrefix("192.0.2.0/24")!, keyName: key.name),
        ], keys: [key])
        return TransferResponder(policy: policy, log: log)
    }()

    static let engine = QueryEngine()
    /// Queries signed with `key` are answered and signed; others get TSIG errors.
    static let signedQueries = SignedQueryResponder(engine: engine, keys: [key])
    nonisolated(unsafe) static let scratch = QueryScratch()
    /// DNS cookies on, right after a rotation. UDP queries come from
    /// 192.0.2.1, TCP ones from 2001:db8::1.
    public static let cookies = CookieSecrets(current: hex("e5e973e5a6b2a43f48e7dc849e37bfcf"),
                                              previous: hex("445536bcd2513298075a5d379663c962"))
    public static let udpClient = IPAddress(ipv4: (192, 0, 2, 1))
    static let tcpClient = IPAddress(bytes: [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1])!

    static func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.utf8).map { UInt8(($0 <= 57 ? $0 - 48 : $0 - 87)) }
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }
    /// The daemon's UDP send buffer and TCP response capacity, allocated to
    /// the byte so AddressSanitizer sees a write past the end.
    static let udpBufferSize = 4096
    static let tcpBufferSize = 65535
    nonisolated(unsafe) static let udpBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: udpBufferSize,
                                                                                      alignment: 16)
    nonisolated(unsafe) static let tcpBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: tcpBufferSize,
                                                                                      alignment: 16)

    public static func check(_ bytes: [UInt8], outcome: UnsafeMutablePointer<QueryOutcome>? = nil) -> String? {
        // An exact-size copy, as libFuzzer hands the input over.
        let query = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { query.deallocate() }
        bytes.withUnsafeBytes { query.copyMemory(from: $0) }
        return check(UnsafeRawBufferPointer(query), outcome: outcome)
    }

    /// The engine reads the bytes in place, as the transports pass them.
    public static func check(_ query: UnsafeRawBufferPointer) -> String? {
        check(query, outcome: nil)
    }

    /// `udpOutcome` receives the engine's UDP outcome (for the tests).
    public static func check(_ query: UnsafeRawBufferPointer, outcome udpOutcome: UnsafeMutablePointer<QueryOutcome>?)
        -> String?
    {
        let bytes = Array(query)
        let parsed = try? Message(bytes: bytes)
        if let parsed, let problem = roundTrip(parsed) { return problem }
        for transport in [Transport.udp, .tcp] {
            if let problem = engineCheck(query, transport: transport, parsed: parsed,
                                         outcome: transport == .udp ? udpOutcome : nil) { return problem }
        }
        return transferCheck(bytes)
    }

    /// A message that parses serializes to one that parses back the same up
    /// to ASCII case (compression matches names case-insensitively, so a
    /// name in RDATA may come back with the case of an earlier name), unless
    /// it carries several OPT records (only the first is EDNS) or grows past
    /// what the serializer writes.
    static func roundTrip(_ message: Message) -> String? {
        let opts = (message.additionals).filter { $0.type == .opt }.count
        let serialized = message.serialize()
        guard opts == 0, serialized.count < 60_000 else { return nil }
        guard let again = try? Message(bytes: serialized) else {
            return "serialized message does not parse back: \(serialized)"
        }
        guard folded(again) == folded(message) else { return "message changed through serialize and parse" }
        return nil
    }

    static func folded(_ message: Message) -> Message {
        func fold(_ record: ResourceRecord) -> ResourceRecord {
            var copy = record
            copy.name = record.name.lowercased
            copy.rdata = record.rdata.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
            return copy
        }
        var copy = message
        copy.questions = message.questions.map { Question(name: $0.name.lowercased, type: $0.type, recordClass: $0.recordClass) }
        copy.answers = message.answers.map(fold)
        copy.authorities = message.authorities.map(fold)
        copy.additionals = message.additionals.map(fold)
        return copy
    }

    static func engineCheck(_ bytes: UnsafeRawBufferPointer, transport: Transport, parsed: Message?,
                            outcome reported: UnsafeMutablePointer<QueryOutcome>?) -> String? {
        let response = transport == .udp ? udpBuffer : tcpBuffer
        let capacity = response.count
        let client = transport == .udp ? udpClient : tcpClient
        var outcome = engine.respond(to: bytes, into: response, transport: transport, snapshot: snapshot,
                                     scratch: scratch, now: now, client: client, cookies: cookies)
        if outcome.disposition == .needsTSIG {
            // The transports' slow path for a query ending with a TSIG.
            outcome = signedQueries.respond(to: bytes, into: response, transport: transport, snapshot: snapshot,
                                            scratch: scratch, now: Int64(tsigNow) * 1000, client: client,
                                            cookies: cookies)
        }
        reported?.pointee = outcome
        guard outcome.disposition == .answered else {
            return outcome.length == 0 ? nil : "dropped query with response length \(outcome.length)"
        }
        guard outcome.length >= 12, outcome.length <= capacity else {
            return "\(transport) response length \(outcome.length) outside 12...\(capacity)"
        }
        if transport == .udp {
            // 512 without EDNS, at most our advertised 1232 with it.
            let limit = parsed.map { $0.edns == nil ? 512 : 1232 } ?? 1232
            if outcome.length > limit { return "UDP response of \(outcome.length) bytes exceeds \(limit)" }
        }
        let reply = Array(UnsafeRawBufferPointer(rebasing: response[0..<outcome.length]))
        guard reply[0] == bytes[0], reply[1] == bytes[1], reply[2] & 0x80 != 0 else {
            return "\(transport) response does not echo the id or lacks QR"
        }
        guard let message = try? Message(bytes: reply) else {
            return "\(transport) response does not parse: \(reply)"
        }
        if message.header.isTruncated, transport == .tcp { return "TC set over TCP" }
        return nil
    }

    static func transferCheck(_ bytes: [UInt8]) -> String? {
        let isTransfer = bytes.withUnsafeBytes { TransferResponder.isTransferQuery($0) }
        _ = TSIG.find(in: bytes)
        guard isTransfer else { return nil }
        // The id's low bit picks the peer: unsigned-allowed or key-required.
        let peer = bytes[1] & 1 == 0 ? IPAddress(ipv4: (127, 0, 0, 1)) : IPAddress(ipv4: (192, 0, 2, 1))
        let messages = responder.respond(to: bytes, peer: peer, snapshot: snapshot, now: tsigNow)
        guard !messages.isEmpty else { return "transfer produced no message" }
        for (index, message) in messages.enumerated() {
            guard message.count <= 65535 else { return "transfer message \(index) of \(message.count) bytes" }
            guard (try? Message(bytes: message)) != nil else {
                return "transfer message \(index) does not parse: \(message.prefix(64))"
            }
        }
        return nil
    }
}
