import CMallocCounter
import DNSWire
import QueryEngine
import Testing
import ZoneData

/// The hot path allocates nothing: `respond` is run many times per kind of query with a malloc counter on
/// (Tests/CMallocCounter wraps the allocator of the test process and counts this thread's calls).
@Suite(.enabled(if: malloc_counter_available() != 0, "ThreadSanitizer owns the allocator in this build"))
struct AllocationTests {
    struct Case: CustomStringConvertible, Sendable {
        var label: String
        var name: String
        var type: RecordType
        var edns: Bool = false
        var transport: Transport = .udp
        /// A COOKIE option (RFC 7873) to send: a client cookie, or client and server cookie.
        var cookie: [UInt8]? = nil
        var description: String { label }
    }

    static let cases: [Case] = [
        Case(label: "group CNAME answer", name: "414-262-781.example.test", type: .a),
        Case(label: "group A answer", name: "004-262-781.example.test", type: .a),
        Case(label: "group AAAA answer", name: "004-262-781.example.test", type: .aaaa),
        Case(label: "group NODATA (no AAAA)", name: "005-000-000.example.test", type: .aaaa),
        Case(label: "group without web head", name: "999-999-999.example.test", type: .a),
        Case(label: "group, pending switch (TTL countdown)", name: "006-000-000.example.test", type: .a),
        Case(label: "group CNAME with EDNS", name: "414-262-781.EXAMPLE.test", type: .a, edns: true),
        Case(label: "group A over TCP", name: "004-262-781.example.test", type: .a, transport: .tcp),
        Case(label: "unknown group NXDOMAIN", name: "123-456-789.example.test", type: .a),
        Case(label: "NXDOMAIN with EDNS", name: "nothing.example.test", type: .a, edns: true),
        Case(label: "static A", name: "www.example.test", type: .a),
        Case(label: "static CNAME chain", name: "chain1.example.test", type: .a),
        Case(label: "static MX with additional", name: "example.test", type: .mx),
        Case(label: "SOA with EDNS", name: "example.test", type: .soa, edns: true),
        Case(label: "wildcard", name: "x.wild.example.test", type: .txt),
        Case(label: "referral", name: "host.sub.example.test", type: .a),
        Case(label: "REFUSED outside the zone", name: "example.org", type: .a),
        Case(label: "truncated TXT set", name: "big.example.test", type: .txt),
        Case(label: "group CNAME, client cookie", name: "414-262-781.example.test", type: .a, edns: true,
             cookie: [0x24, 0x64, 0xC4, 0xAB, 0xCF, 0x10, 0xC9, 0x57]),
        Case(label: "static A, client and server cookie", name: "www.example.test", type: .a, edns: true,
             cookie: CookieTests.hex("2464c4abcf10c957010000005cf79f111f8130c3eee29480")),
    ]

    static let now: Int64 = 1_800_000_000_000

    static func snapshot() throws -> ZoneSnapshot {
        let answers = [
            WebHeadAnswer.hostname(try DomainName("lb-1.example.net")),
            WebHeadAnswer.addresses([[192, 0, 2, 10], [192, 0, 2, 11], Array(repeating: 0x20, count: 16)]),
            WebHeadAnswer.addresses([[192, 0, 2, 12]]),
        ]
        var entries: [GroupTable.Entry] = [
            .init(address: 414_262_781, answer: 0, due: 0),
            .init(address: 4_262_781, answer: 1, due: 0),
            .init(address: 5_000_000, answer: 2, due: 0),
            .init(address: 6_000_000, answer: 2, due: now + 12_345),
            .init(address: 999_999_999, answer: -1, due: 0),
        ]
        // Enough groups that lookups probe a real table.
        for index in 0..<10_000 { entries.append(.init(address: UInt32(100_000_000 + index * 7919), answer: 0, due: 0)) }
        return ZoneSnapshot(zone: EngineHarness.zone, groups: GroupTable(ttl: 30, answers: answers, entries: entries),
                            serial: 4242)
    }

    @Test func theCounterSeesSwiftAllocations() {
        malloc_counter_start()
        let array = Array(repeating: UInt8(7), count: Int.random(in: 100...200))
        let count = malloc_counter_stop()
        #expect(array.count >= 100)
        #expect(count >= 1, "the malloc counter is not the process's allocator: the check below would prove nothing")
    }

    @Test(arguments: cases)
    func respondAllocatesNothing(_ test: Case) throws {
        let snapshot = try Self.snapshot()
        let engine = QueryEngine()
        let scratch = QueryScratch()
        let edns = test.cookie.map { EDNSRecord(options: [(10, $0)]) } ?? (test.edns ? EDNSRecord() : nil)
        let query = Message.query(try DomainName(test.name), test.type, id: 0x4242, edns: edns).serialize()
        let client = IPAddress(ipv4: (198, 51, 100, 100))
        let secrets = CookieSecrets(current: CookieTests.hex("e5e973e5a6b2a43f48e7dc849e37bfcf"))
        var response = [UInt8](repeating: 0, count: 65535)
        let rounds = 2_000
        var outcome = QueryOutcome.dropped
        let allocations = query.withUnsafeBytes { raw in
            response.withUnsafeMutableBytes { out in
                // Warm up: first-use work (lazy globals, metadata) is not per query.
                for _ in 0..<10 {
                    outcome = engine.respond(to: raw, into: out, transport: test.transport, snapshot: snapshot,
                                             scratch: scratch, now: Self.now,
                                             client: client, cookies: secrets)
                }
                malloc_counter_start()
                for _ in 0..<rounds {
                    outcome = engine.respond(to: raw, into: out, transport: test.transport, snapshot: snapshot,
                                             scratch: scratch, now: Self.now,
                                             client: client, cookies: secrets)
                }
                return malloc_counter_stop()
            }
        }
        #expect(outcome.disposition == .answered)
        let perQuery = Double(allocations) / Double(rounds)
        print("allocations per query, \(test.label): \(perQuery) (\(allocations) in \(rounds) queries)")
        #expect(allocations == 0, "\(test.label): \(perQuery) heap allocations per query on the hot path")
    }
}
