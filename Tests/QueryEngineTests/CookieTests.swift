import DNSWire
import QueryEngine
import Testing
import ZoneData

/// DNS cookies (RFC 7873) with RFC 9018 server cookies, checked against the
/// RFC's appendix A vectors.
@Suite struct CookieTests {
    let harness = EngineHarness()

    static func hex(_ text: String) -> [UInt8] {
        stride(from: 0, to: text.count, by: 2).map {
            let start = text.index(text.startIndex, offsetBy: $0)
            return UInt8(text[start..<text.index(start, offsetBy: 2)], radix: 16)!
        }
    }

    static func ipv4(_ text: String) -> IPAddress {
        let parts = text.split(separator: ".").map { UInt8($0)! }
        return IPAddress(ipv4: (parts[0], parts[1], parts[2], parts[3]))
    }

    /// Sends a query with a COOKIE option; returns the reply's cookie and the outcome.
    func ask(cookie: [UInt8], client: IPAddress, secrets: CookieSecrets, at seconds: Int64)
        throws -> (cookie: [UInt8]?, outcome: QueryOutcome, rcode: ResponseCode)
    {
        let query = Message.query(try DomainName("www.example.test"), .a, id: 9,
                                  edns: EDNSRecord(udpPayloadSize: 4096, options: [(10, cookie)])).serialize()
        var response = [UInt8](repeating: 0, count: 1232)
        let outcome = query.withUnsafeBytes { raw in
            response.withUnsafeMutableBytes { out in
                harness.engine.respond(to: raw, into: out, transport: .udp, snapshot: harness.snapshot,
                                       scratch: harness.scratch, now: seconds * 1000, client: client, cookies: secrets)
            }
        }
        let reply = try Message(bytes: Array(response[0..<outcome.length]))
        return (reply.edns?.options.first { $0.code == 10 }?.data, outcome, reply.responseCode)
    }

    let secret = CookieSecrets(current: hex("e5e973e5a6b2a43f48e7dc849e37bfcf"))

    @Test func a1LearningANewServerCookie() throws {
        let reply = try ask(cookie: Self.hex("2464c4abcf10c957"), client: Self.ipv4("198.51.100.100"), secrets: secret,
                            at: 1_559_731_985)
        #expect(reply.cookie == Self.hex("2464c4abcf10c957010000005cf79f111f8130c3eee29480"))
        #expect(!reply.outcome.validCookie)
        #expect(reply.rcode == .noError)
    }

    @Test func a2TheSameClientRenewingIt() throws {
        let reply = try ask(cookie: Self.hex("2464c4abcf10c957010000005cf79f111f8130c3eee29480"),
                            client: Self.ipv4("198.51.100.100"), secrets: secret, at: 1_559_734_385)
        #expect(reply.outcome.validCookie)
        #expect(reply.cookie == Self.hex("2464c4abcf10c957010000005cf7a871d4a564a1442aca77"))
    }

    @Test func a3AnotherClientWithReservedBitsSet() throws {
        let cookie = Self.hex("fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5")
        // At 1559734700 the cookie is 1h52m old: too old to accept, and renewed.
        let reply = try ask(cookie: cookie, client: Self.ipv4("203.0.113.203"), secrets: secret, at: 1_559_734_700)
        #expect(!reply.outcome.validCookie)
        #expect(reply.cookie == Self.hex("fc93fc62807ddb86010000005cf7a9acf73a7810aca2381e"))
        // Within its hour the hash (over the client's reserved octets) matches.
        let fresh = try ask(cookie: cookie, client: Self.ipv4("203.0.113.203"), secrets: secret, at: 0x5cf7_8f71 + 60)
        #expect(fresh.outcome.validCookie)
        // The same cookie from another address is not ours.
        let stolen = try ask(cookie: cookie, client: Self.ipv4("203.0.113.204"), secrets: secret, at: 0x5cf7_8f71 + 60)
        #expect(!stolen.outcome.validCookie)
    }

    @Test func a4IPv6ClientAfterASecretRollover() throws {
        let client = IPAddress(bytes: Self.hex("20010db80220000159ded0f4876982b8"))!
        let rolled = CookieSecrets(current: Self.hex("445536bcd2513298075a5d379663c962"),
                                   previous: Self.hex("dd3bdf9344b678b185a6f5cb60fca715"))
        let cookie = Self.hex("22681ab97d52c298010000005cf7c57926556bd0934c72f8")
        #expect(try ask(cookie: cookie, client: client, secrets: rolled, at: 1_559_741_817).outcome.validCookie)
        let newOnly = CookieSecrets(current: Self.hex("445536bcd2513298075a5d379663c962"))
        #expect(!(try ask(cookie: cookie, client: client, secrets: newOnly, at: 1_559_741_817).outcome.validCookie))
    }

    @Test func oldAndFutureCookiesAreNotValid() throws {
        let cookie = Self.hex("2464c4abcf10c957010000005cf79f111f8130c3eee29480")
        let client = Self.ipv4("198.51.100.100")
        #expect(try ask(cookie: cookie, client: client, secrets: secret, at: 1_559_731_985 + 3600).outcome.validCookie)
        #expect(!(try ask(cookie: cookie, client: client, secrets: secret, at: 1_559_731_985 + 3601).outcome.validCookie))
        #expect(try ask(cookie: cookie, client: client, secrets: secret, at: 1_559_731_985 - 300).outcome.validCookie)
        #expect(!(try ask(cookie: cookie, client: client, secrets: secret, at: 1_559_731_985 - 301).outcome.validCookie))
    }

    @Test(arguments: [0, 1, 7, 9, 15, 41, 48])
    func malformedCookieLengthsAreFORMERR(length: Int) throws {
        let reply = try ask(cookie: [UInt8](repeating: 7, count: length), client: Self.ipv4("192.0.2.1"),
                            secrets: secret, at: 1_700_000_000)
        #expect(reply.rcode == .formErr)
    }

    @Test func sipHashReferenceVector() {
        // SipHash-2-4 reference: key 00..0f, input 00..0e (15 bytes) -> bytes e5 45 be 49 61 ca 29 a1.
        let key = SipHash24.key(Array(0..<16))
        let input: [UInt8] = Array(0..<15)
        let hash = input.withUnsafeBytes { SipHash24.hash(key0: key.0, key1: key.1, $0) }
        #expect(hash == 0xa129_ca61_49be_45e5)
    }
}
