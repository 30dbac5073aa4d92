import DNSWire
import QueryEngine
import ZoneData

/// Runs the engine on bytes, without sockets.
struct EngineHarness {
    static let zoneText = """
        $TTL 300
        @ IN SOA ns1 hostmaster 7 3600 900 1209600 60
        @ IN NS ns1
        @ IN NS ns2.elsewhere.net.
        @ IN MX 10 mail
        ns1 IN A 192.0.2.1
        ns1 IN AAAA 2001:db8::1
        mail IN A 192.0.2.25
        www IN A 192.0.2.80
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

        """ + (0..<40).map { "big IN TXT \"record \($0) padded to make the set larger than one UDP datagram\"" }
        .joined(separator: "\n") + "\n"

    static let zone = try! ZoneFileLoader.load(text: zoneText, origin: try! DomainName("example.test"))
    let snapshot = ZoneSnapshot(zone: EngineHarness.zone)
    let engine = QueryEngine()
    let scratch = QueryScratch()

    /// Answers raw query bytes; nil when the engine drops the packet.
    func respond(_ query: [UInt8], transport: Transport = .udp) -> (bytes: [UInt8], outcome: QueryOutcome)? {
        var response = [UInt8](repeating: 0, count: 65535)
        let outcome = query.withUnsafeBytes { raw in
            response.withUnsafeMutableBytes { out in
                engine.respond(to: raw, into: out, transport: transport, snapshot: snapshot, scratch: scratch)
            }
        }
        guard outcome.disposition == .answered else { return nil }
        return (Array(response[0..<outcome.length]), outcome)
    }

    func ask(_ query: Message, transport: Transport = .udp) throws -> Message? {
        guard let reply = respond(query.serialize(), transport: transport) else { return nil }
        return try Message(bytes: reply.bytes)
    }
}

extension Message {
    /// Records of a section as sorted presentation lines, names lowercased.
    static func lines(_ records: [ResourceRecord]) -> [String] {
        records.map { record in
            var copy = record
            copy.name = record.name.lowercased
            return copy.description
        }.sorted()
    }
}
