import DNSWire
import QueryEngine
import ZoneData
import ZoneTransfer

/// One input of the `zone` fuzz target: a master file for example.test
/// through the libldns loader and StaticZone's checks; a zone that loads is
/// then served (queries for its names through the engine) and transferred
/// (AXFR through the responder), and every reply must parse. Shared by
/// Fuzz/zone.swift and the regression tests. Returns nil when every invariant
/// holds, or what broke.
public enum ZoneCheck {
    public static let origin = try! DomainName("example.test")
    static let engine = QueryEngine()
    nonisolated(unsafe) static let scratch = QueryScratch()
    static let responder = TransferResponder(
        policy: TransferPolicy(rules: [.init(prefix: AddressPrefix("127.0.0.0/8")!, keyName: nil)]), log: TransferLog())
    /// Names queried per zone, so a large zone stays cheap.
    static let queriedNames = 8

    public static func check(_ bytes: [UInt8]) -> String? {
        // The daemon reads files with fopen; load(text:) reads the same bytes
        // through fmemopen once they are a String (invalid UTF-8 becomes U+FFFD).
        let text = String(decoding: bytes, as: UTF8.self)
        guard let zone = try? ZoneFileLoader.load(text: text, origin: origin) else { return nil }
        guard zone.nodes.indices.contains(zone.apexIndex), zone.nodes[zone.apexIndex].name == origin else {
            return "apex node is not the origin"
        }
        guard zone.nodes[zone.apexIndex].rrsetIndex(of: .soa) != nil, zone.soa.rdatas.count == 1 else {
            return "loaded zone has no single apex SOA"
        }
        for (index, node) in zone.nodes.enumerated() {
            guard zone.find(node.name) == index else { return "node \(node.name) is not found by name" }
        }
        let snapshot = ZoneSnapshot(zone: zone)
        var response = [UInt8](repeating: 0, count: 65535)
        for node in zone.nodes.prefix(queriedNames) {
            for type in [RecordType.any, .a, node.rrsets.first?.type ?? .txt] {
                let query = Message.query(node.name, type, id: 0x1234, edns: EDNSRecord()).serialize()
                for transport in [Transport.udp, .tcp] {
                    let outcome = query.withUnsafeBytes { raw in
                        response.withUnsafeMutableBytes { out in
                            engine.respond(to: raw, into: out, transport: transport, snapshot: snapshot,
                                           scratch: scratch)
                        }
                    }
                    guard outcome.disposition == .answered else { return "query for \(node.name) \(type) dropped" }
                    guard (try? Message(bytes: Array(response[0..<outcome.length]))) != nil else {
                        return "\(transport) reply for \(node.name) \(type) does not parse"
                    }
                }
            }
        }
        let axfr = Message.query(origin, .axfr, id: 0x4321).serialize()
        let messages = responder.respond(to: axfr, peer: [127, 0, 0, 1], snapshot: snapshot, now: 1_800_000_000)
        var records = 0
        for (index, message) in messages.enumerated() {
            guard let parsed = try? Message(bytes: message) else { return "AXFR message \(index) does not parse" }
            guard parsed.responseCode == .noError else { return "AXFR refused: \(parsed.responseCode)" }
            records += parsed.answers.count
        }
        let expected = zone.nodes.reduce(0) { sum, node in
            sum + node.rrsets.reduce(0) { $0 + ($1.type == .soa ? 0 : $1.rdatas.count) }
        } + 2
        guard records == expected else { return "AXFR carries \(records) records, the zone \(expected)" }
        return nil
    }
}
