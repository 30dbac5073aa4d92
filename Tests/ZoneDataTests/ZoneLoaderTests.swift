import DNSWire
import Testing
import ZoneData

@Suite struct ZoneLoaderTests {
    let origin = try! DomainName("example.test")

    static let apex = """
        $TTL 300
        @ IN SOA ns1 hostmaster 2024010101 3600 900 1209600 60
        @ IN NS ns1
        ns1 IN A 192.0.2.1

        """

    @Test func loadsRecordsAndBuildsEmptyNonTerminals() throws {
        let zone = try ZoneFileLoader.load(text: Self.apex + "a.b.c IN TXT \"hi\"\nsub IN NS ns.sub\nns.sub IN A 192.0.2.9\n",
                                           origin: origin)
        #expect(zone.serial == 2024010101)
        #expect(zone.negativeTTL == 60)
        let ent = try #require(zone.find(try DomainName("b.c.example.test")))
        #expect(zone.nodes[ent].rrsets.isEmpty)
        #expect(zone.find(try DomainName("c.example.test")) != nil)
        let cut = try #require(zone.find(try DomainName("SUB.example.test")))
        #expect(zone.nodes[cut].isDelegation)
        #expect(!zone.nodes[zone.apexIndex].isDelegation)
        #expect(zone.find(try DomainName("nope.example.test")) == nil)
    }

    @Test func unknownTypesLoadAsOpaqueData() throws {
        let zone = try ZoneFileLoader.load(text: Self.apex + "x IN TYPE65000 \\# 3 010203\n", origin: origin)
        let node = try #require(zone.find(try DomainName("x.example.test")))
        #expect(zone.nodes[node].rrsets.first?.rdatas == [[1, 2, 3]])
        #expect(zone.nodes[node].rrsets.first?.type == RecordType(65000))
    }

    @Test(arguments: [
        ("www IN CNAME a\nwww IN A 192.0.2.2\n", 6, "CNAME and other data"),
        ("www.other.test. IN A 192.0.2.2\n", 5, "outside the zone"),
        ("www IN A 300.1.1.1\n", 5, ""),
        ("www IN CNAME a\nwww IN CNAME b\n", 5, "more than one CNAME"),
        ("www IN DNAME a\n", 5, "DNAME"),
        ("$INCLUDE other.zone\n", 5, "$INCLUDE"),
        // libldns leaks a few bytes refusing these two (see ZoneCheck.reachesLibldnsIPSECKEYLeak).
        ("x IN IPSECKEY 10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ== extra\n", 5, ""),
        ("x IN IPSECKEY 10 1 2 192.0.2.38 !!!\n", 5, ""),
    ])
    func rejectsBadZonesNamingTheLine(extra: String, line: Int, fragment: String) {
        do {
            _ = try ZoneFileLoader.load(text: Self.apex + extra, origin: origin, source: "test.zone")
            Issue.record("accepted a bad zone: \(extra)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.description.hasPrefix("test.zone:\(line): "))
            #expect(fragment.isEmpty || error.description.contains(fragment), "\(error)")
        }
    }

    @Test func refusesARecordTooLargeForAnyMessage() {
        // 255 strings of 255 bytes: 65,280 bytes of TXT data (found by fuzzing: AXFR never finished).
        let text = (0..<255).map { _ in "\"" + String(repeating: "x", count: 255) + "\"" }.joined(separator: " ")
        do {
            _ = try ZoneFileLoader.load(text: Self.apex + "big IN TXT \(text)\n", origin: origin, source: "big.zone")
            Issue.record("accepted a record larger than a DNS message")
        } catch {
            #expect(error.description.contains("more than one DNS message can carry"), "\(error)")
            #expect(error.line == 5)
        }
    }

    @Test func requiresSOAAndNSAtTheApex() {
        #expect(throws: ZoneError.self) {
            try ZoneFileLoader.load(text: "$TTL 60\n@ IN NS ns1\nns1 IN A 192.0.2.1\n", origin: origin)
        }
        #expect(throws: ZoneError.self) {
            try ZoneFileLoader.load(text: "@ 60 IN SOA ns1 h 1 2 3 4 5\n", origin: origin)
        }
        #expect(throws: ZoneError.self) {
            try ZoneFileLoader.load(text: "", origin: origin)
        }
    }

    @Test func missingFileIsAClearError() {
        do {
            _ = try ZoneFileLoader.load(path: "/nonexistent/zone.db", origin: origin)
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.description.contains("/nonexistent/zone.db"))
            #expect(error.description.contains("cannot open"))
        }
    }

    @Test func defaultZoneServesAnApex() throws {
        let zone = try DefaultZone.load(origin: try DomainName("cloud66.net"))
        #expect(zone.origin.description == "cloud66.net.")
        #expect(zone.nodes[zone.apexIndex].rrsetIndex(of: .ns) != nil)
    }

    @Test func differingTTLsInAnRRsetWarnAndUseTheLowest() throws {
        let zone = try ZoneFileLoader.load(text: Self.apex + "w 100 IN A 192.0.2.1\nw 50 IN A 192.0.2.2\n", origin: origin)
        let node = try #require(zone.find(try DomainName("w.example.test")))
        #expect(zone.nodes[node].rrsets[0].ttl == 50)
        #expect(zone.warnings.count == 1)
    }
}
