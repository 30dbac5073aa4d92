@testable import FailoverDaemon
import QueryEngine
import Testing

/// Response rate limiting per client prefix, for clients that arrive through a
/// dual-stack socket (IPv4 as ::ffff:a.b.c.d) as much as through an IPv4 one.
@Suite struct RateLimiterTests {
    static func mapped(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> ClientAddress {
        ClientAddress(ipv6: Array(repeating: 0, count: 10) + [0xFF, 0xFF, a, b, c, d])
    }

    static func limiter(rate: Int = 10) -> ResponseRateLimiter {
        var settings = ResponseRateLimiter.Settings()
        settings.responsesPerSecond = rate
        return ResponseRateLimiter(settings: settings)
    }

    static func sent(_ limiter: ResponseRateLimiter, _ client: ClientAddress, count: Int, second: UInt32) -> Int {
        (0..<count).filter { _ in limiter.verdict(for: client, second: second) == .send }.count
    }

    @Test("A flooding IPv4 client (mapped) is limited; one in another /24 keeps its whole budget")
    func mappedPrefixesAreSeparate() {
        let limiter = Self.limiter()
        #expect(Self.sent(limiter, Self.mapped(198, 51, 100, 1), count: 100, second: 7) == 10)
        #expect(Self.sent(limiter, Self.mapped(203, 0, 113, 1), count: 10, second: 7) == 10)
        // The same /24 shares the budget, whichever socket it came through.
        #expect(Self.sent(limiter, ClientAddress(ipv4: (198, 51, 100, 200)), count: 5, second: 7) == 0)
    }

    @Test("IPv6 clients in different /56 prefixes have separate budgets; the same /56 shares one")
    func ipv6Prefixes() {
        let limiter = Self.limiter()
        let first = ClientAddress(ipv6: [0x20, 0x01, 0x0d, 0xb8, 0, 0x53, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        let sameSlash56 = ClientAddress(ipv6: [0x20, 0x01, 0x0d, 0xb8, 0, 0x53, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 9])
        let other = ClientAddress(ipv6: [0x20, 0x01, 0x0d, 0xb8, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(Self.sent(limiter, first, count: 50, second: 3) == 10)
        #expect(Self.sent(limiter, sameSlash56, count: 5, second: 3) == 0)
        #expect(Self.sent(limiter, other, count: 10, second: 3) == 10)
    }

    @Test("The loopback exemption matches ::ffff:127.0.0.1 as 127.0.0.1")
    func mappedLoopbackIsExempt() {
        let limiter = Self.limiter(rate: 1)
        #expect(Self.sent(limiter, Self.mapped(127, 0, 0, 1), count: 100, second: 1) == 100)
        #expect(Self.sent(limiter, ClientAddress(ipv4: (127, 0, 0, 5)), count: 100, second: 1) == 100)
    }

    @Test("A new second brings a new budget")
    func budgetRenews() {
        let limiter = Self.limiter()
        let client = Self.mapped(192, 0, 2, 1)
        #expect(Self.sent(limiter, client, count: 20, second: 100) == 10)
        #expect(Self.sent(limiter, client, count: 20, second: 101) == 10)
    }
}
