import DNSWire
import QueryEngine
import Testing
import ZoneData

/// One engine behaviour: a query and what the response must hold.
struct EngineCase: CustomTestStringConvertible, Sendable {
    var label: String
    var name: String
    var type: RecordType
    var edns: EDNSRecord? = EDNSRecord(udpPayloadSize: 1232)
    var transport: Transport = .udp
    var rcode: ResponseCode = .noError
    var authoritative = true
    var truncated = false
    /// Exact answer lines (sorted, lowercased owners); nil: not checked.
    var answer: [String]? = nil
    var authorityTypes: [RecordType]? = nil
    var additional: [String]? = nil

    var testDescription: String { label }
}

@Suite struct EngineCaseTests {
    static let soaAuthority: [RecordType] = [.soa]

    static let cases: [EngineCase] = [
        // Answers (RFC 1034 4.3.2)
        EngineCase(label: "apex SOA", name: "example.test", type: .soa,
                   answer: ["example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 7 3600 900 1209600 60"]),
        EngineCase(label: "A record", name: "www.example.test", type: .a, answer: ["www.example.test. 300 IN A 192.0.2.80"]),
        EngineCase(label: "apex NS with in-zone glue in additional", name: "example.test", type: .ns,
                   answer: ["example.test. 300 IN NS ns1.example.test.", "example.test. 300 IN NS ns2.elsewhere.net."],
                   additional: ["ns1.example.test. 300 IN A 192.0.2.1", "ns1.example.test. 300 IN AAAA 2001:db8:0:0:0:0:0:1"]),
        EngineCase(label: "MX with target address", name: "example.test", type: .mx,
                   answer: ["example.test. 300 IN MX 10 mail.example.test."],
                   additional: ["mail.example.test. 300 IN A 192.0.2.25"]),
        EngineCase(label: "SRV with target address", name: "_sip._tcp.example.test", type: .srv,
                   answer: ["_sip._tcp.example.test. 300 IN SRV 0 5 5060 www.example.test."],
                   additional: ["www.example.test. 300 IN A 192.0.2.80"]),
        EngineCase(label: "unknown type served as opaque data (RFC 3597)", name: "opaque.example.test",
                   type: RecordType(65000), answer: ["opaque.example.test. 300 IN TYPE65000 \\# 2 abcd"]),
        // Negative answers (RFC 2308)
        EngineCase(label: "NXDOMAIN with SOA at negative TTL", name: "nope.example.test", type: .a, rcode: .nxDomain,
                   answer: [], authorityTypes: soaAuthority),
        EngineCase(label: "NODATA for a missing type", name: "www.example.test", type: .aaaa, answer: [],
                   authorityTypes: soaAuthority),
        EngineCase(label: "NODATA for an unknown type at an existing name", name: "www.example.test",
                   type: RecordType(65432), answer: [], authorityTypes: soaAuthority),
        EngineCase(label: "empty non-terminal is NODATA, not NXDOMAIN", name: "b.ent.example.test", type: .a,
                   answer: [], authorityTypes: soaAuthority),
        EngineCase(label: "below an existing name is NXDOMAIN", name: "x.www.example.test", type: .a,
                   rcode: .nxDomain, answer: [], authorityTypes: soaAuthority),
        // CNAME
        EngineCase(label: "CNAME followed in zone", name: "alias.example.test", type: .a,
                   answer: ["alias.example.test. 300 IN CNAME www.example.test.", "www.example.test. 300 IN A 192.0.2.80"]),
        EngineCase(label: "CNAME chain followed", name: "chain1.example.test", type: .a,
                   answer: ["chain1.example.test. 300 IN CNAME chain2.example.test.",
                            "chain2.example.test. 300 IN CNAME www.example.test.",
                            "www.example.test. 300 IN A 192.0.2.80"]),
        EngineCase(label: "CNAME query answers the CNAME only", name: "alias.example.test", type: .cname,
                   answer: ["alias.example.test. 300 IN CNAME www.example.test."]),
        EngineCase(label: "CNAME loop stops", name: "loop1.example.test", type: .a,
                   answer: ["loop1.example.test. 300 IN CNAME loop2.example.test.",
                            "loop2.example.test. 300 IN CNAME loop1.example.test."]),
        EngineCase(label: "CNAME to a missing name: NXDOMAIN (RFC 6604)", name: "dangling.example.test", type: .a,
                   rcode: .nxDomain, answer: ["dangling.example.test. 300 IN CNAME missing.example.test."],
                   authorityTypes: soaAuthority),
        EngineCase(label: "CNAME out of zone is not chased", name: "external.example.test", type: .a,
                   answer: ["external.example.test. 300 IN CNAME target.elsewhere.net."], authorityTypes: []),
        EngineCase(label: "CNAME into a wildcard", name: "towild.example.test", type: .a,
                   answer: ["towild.example.test. 300 IN CNAME x.wild.example.test.", "x.wild.example.test. 300 IN A 192.0.2.99"]),
        // Wildcards (RFC 4592)
        EngineCase(label: "wildcard synthesizes with the query name as owner", name: "anything.wild.example.test",
                   type: .a, answer: ["anything.wild.example.test. 300 IN A 192.0.2.99"]),
        EngineCase(label: "wildcard covers deeper names", name: "a.b.c.wild.example.test", type: .txt,
                   answer: ["a.b.c.wild.example.test. 300 IN TXT \"wild\""]),
        EngineCase(label: "wildcard NODATA", name: "x.wild.example.test", type: .mx, answer: [], authorityTypes: soaAuthority),
        EngineCase(label: "wildcard does not apply to the empty non-terminal's children", name: "x.ent.example.test",
                   type: .a, rcode: .nxDomain, answer: [], authorityTypes: soaAuthority),
        // Delegations
        EngineCase(label: "referral at the cut: AA clear, NS in authority, glue", name: "sub.example.test", type: .a,
                   authoritative: false, answer: [], authorityTypes: [.ns, .ns],
                   additional: ["ns.sub.example.test. 300 IN A 192.0.2.53"]),
        EngineCase(label: "referral below the cut", name: "deep.www.sub.example.test", type: .aaaa, authoritative: false,
                   answer: [], authorityTypes: [.ns, .ns], additional: ["ns.sub.example.test. 300 IN A 192.0.2.53"]),
        EngineCase(label: "glue name itself is a referral", name: "ns.sub.example.test", type: .a, authoritative: false,
                   answer: []),
        EngineCase(label: "DS at the cut is answered by the parent (NODATA)", name: "sub.example.test", type: .ds,
                   answer: [], authorityTypes: soaAuthority),
        // ANY (RFC 8482)
        EngineCase(label: "ANY returns one RRset", name: "ns1.example.test", type: .any,
                   answer: ["ns1.example.test. 300 IN A 192.0.2.1"]),
        // Refusals
        EngineCase(label: "outside the zone: REFUSED, AA clear", name: "example.com", type: .a, rcode: .refused,
                   authoritative: false, answer: []),
        EngineCase(label: "parent of the zone: REFUSED", name: "test", type: .soa, rcode: .refused, authoritative: false),
        EngineCase(label: "suffix that is not a label boundary: REFUSED", name: "badexample.test", type: .a,
                   rcode: .refused, authoritative: false),
        EngineCase(label: "AXFR over UDP: NOTIMP", name: "example.test", type: .axfr, rcode: .notImp,
                   authoritative: false),
        EngineCase(label: "AXFR over TCP before transfers are configured: REFUSED", name: "example.test", type: .axfr,
                   transport: .tcp, rcode: .refused, authoritative: false),
        EngineCase(label: "query type OPT: FORMERR", name: "example.test", type: .opt, rcode: .formErr,
                   authoritative: false),
        // Truncation
        EngineCase(label: "large RRset over UDP without EDNS: TC, empty answer", name: "big.example.test", type: .txt,
                   edns: nil, truncated: true, answer: []),
        EngineCase(label: "large RRset over UDP at 1232: TC", name: "big.example.test", type: .txt, truncated: true,
                   answer: []),
        EngineCase(label: "large RRset over TCP: everything", name: "big.example.test", type: .txt, transport: .tcp),
    ]

    @Test(arguments: cases)
    func behaves(_ testCase: EngineCase) throws {
        let harness = EngineHarness()
        let query = Message.query(try DomainName(testCase.name), testCase.type, id: 4242, edns: testCase.edns)
        let reply = try #require(try harness.ask(query, transport: testCase.transport))
        #expect(reply.header.id == 4242)
        #expect(reply.header.isResponse)
        #expect(reply.responseCode == testCase.rcode)
        #expect(reply.header.isAuthoritative == testCase.authoritative)
        #expect(reply.header.isTruncated == testCase.truncated)
        #expect(!reply.header.recursionAvailable && !reply.header.authenticData && !reply.header.checkingDisabled)
        #expect(reply.questions == query.questions)
        #expect((reply.edns != nil) == (testCase.edns != nil))
        if let answer = testCase.answer {
            #expect(Message.lines(reply.answers) == answer.sorted())
        }
        if let types = testCase.authorityTypes {
            #expect(reply.authorities.map(\.type) == types)
        }
        if let additional = testCase.additional {
            #expect(Message.lines(reply.additionals) == additional.sorted())
        }
        if testCase.authorityTypes == Self.soaAuthority {
            #expect(reply.authorities.first?.ttl == 60, "negative TTL is min(SOA TTL, MINIMUM)")
        }
        if testCase.transport == .tcp && testCase.name.hasPrefix("big") {
            #expect(reply.answers.count == 40)
        }
    }
}
