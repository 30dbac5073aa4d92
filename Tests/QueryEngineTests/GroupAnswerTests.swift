import DNSWire
import QueryEngine
import Testing
import ZoneData

/// Failover group answers from the pre-rendered table.
@Suite struct GroupAnswerTests {
    let engine = QueryEngine()
    let scratch = QueryScratch()

    func snapshot(due: Int64 = 0, addressDue: Int64 = 0) throws -> ZoneSnapshot {
        let answers = [
            WebHeadAnswer.hostname(try DomainName("lb-1.Example.net")),
            WebHeadAnswer.addresses([[192, 0, 2, 10], [192, 0, 2, 11], Array(repeating: 0x20, count: 16)]),
        ]
        let table = GroupTable(ttl: 30, answers: answers, entries: [
            .init(address: 414_262_781, answer: 0, due: due),
            .init(address: 4_262_781, answer: 1, due: addressDue),
            .init(address: 999_999_999, answer: -1, due: 0),
        ])
        return ZoneSnapshot(zone: EngineHarness.zone, groups: table, serial: 4242)
    }

    func ask(_ name: String, _ type: RecordType, snapshot: ZoneSnapshot, now: Int64 = 0) throws -> Message {
        let query = Message.query(try DomainName(name), type, id: 1, edns: EDNSRecord()).serialize()
        var response = [UInt8](repeating: 0, count: 1232)
        let outcome = query.withUnsafeBytes { raw in
            response.withUnsafeMutableBytes { out in
                engine.respond(to: raw, into: out, transport: .udp, snapshot: snapshot, scratch: scratch, now: now)
            }
        }
        return try Message(bytes: Array(response[0..<outcome.length]))
    }

    @Test func hostnameWebHeadAnswersCNAMEForEveryType() throws {
        let snapshot = try snapshot()
        for type in [RecordType.a, .aaaa, .cname, .any, .mx, .txt] {
            let reply = try ask("414-262-781.example.test", type, snapshot: snapshot)
            #expect(reply.header.isAuthoritative)
            #expect(Message.lines(reply.answers) == ["414-262-781.example.test. 30 IN CNAME lb-1.Example.net."])
        }
    }

    @Test func addressWebHeadAnswersAAndAAAA() throws {
        let snapshot = try snapshot()
        let a = try ask("004-262-781.example.test", .a, snapshot: snapshot)
        #expect(Message.lines(a.answers) == ["004-262-781.example.test. 30 IN A 192.0.2.10",
                                              "004-262-781.example.test. 30 IN A 192.0.2.11"])
        let aaaa = try ask("004-262-781.EXAMPLE.test", .aaaa, snapshot: snapshot)
        #expect(aaaa.answers.count == 1)
        #expect(aaaa.answers.first?.name.description == "004-262-781.EXAMPLE.test.")
        let mx = try ask("004-262-781.example.test", .mx, snapshot: snapshot)
        #expect(mx.answers.isEmpty)
        #expect(mx.authorities.first?.type == .soa)
    }

    @Test func groupWithoutWebHeadIsNODATAWithTheServedSerial() throws {
        let reply = try ask("999-999-999.example.test", .a, snapshot: try snapshot())
        #expect(reply.responseCode == .noError)
        #expect(reply.answers.isEmpty)
        let soa = try #require(reply.authorities.first)
        #expect(soa.type == .soa)
        #expect(Array(soa.rdata.suffix(20).prefix(4)) == [0, 0, 0x10, 0x92])  // 4242
    }

    @Test func unknownGroupAndMalformedAddressesFallBackToTheZone() throws {
        let snapshot = try snapshot()
        #expect(try ask("123-456-789.example.test", .a, snapshot: snapshot).responseCode == .nxDomain)
        #expect(try ask("414-262-78x.example.test", .a, snapshot: snapshot).responseCode == .nxDomain)
        #expect(try ask("x.414-262-781.example.test", .a, snapshot: snapshot).responseCode == .nxDomain)
        #expect(try ask("www.example.test", .a, snapshot: snapshot).answers.count == 1)
    }

    @Test(arguments: [
        // (due - now in ms, expected TTL with ttl 30): the whole seconds left
        // less one, at most 30; 0 in the last two seconds and once due.
        (Int64(120_000), UInt32(30)), (31_000, 30), (30_999, 29), (10_500, 9), (10_000, 9), (9_999, 8),
        (2_000, 1), (1_999, 0), (1_001, 0), (999, 0), (1, 0), (0, 0), (-5_000, 0),
    ])
    func ttlCountsDownWhileASwitchIsPending(remaining: Int64, ttl: UInt32) throws {
        let due: Int64 = 1_800_000_000_000
        let reply = try ask("414-262-781.example.test", .a, snapshot: try snapshot(due: due), now: due - remaining)
        #expect(reply.answers.first?.ttl == ttl)
    }

    @Test func everyAddressRecordCarriesTheCountdownTTL() throws {
        let due: Int64 = 1_800_000_000_000
        let snapshot = try snapshot(addressDue: due)
        #expect(try ask("004-262-781.example.test", .a, snapshot: snapshot, now: due - 5_500).answers.map(\.ttl) == [4, 4])
        #expect(try ask("004-262-781.example.test", .a, snapshot: snapshot, now: due - 1_500).answers.map(\.ttl) == [0, 0])
    }
}
