import CNetShim
import DNSWire
@testable import FailoverDaemon
import Glibc
import NIOCore
import QueryEngine
import Testing

/// Response rate limiting per client prefix, for clients that arrive through a
/// dual-stack socket (IPv4 as ::ffff:a.b.c.d) as much as through an IPv4 one.
@Suite struct RateLimiterTests {
    /// The client as the UDP server takes it from a datagram received on a
    /// dual-stack socket: the peer is `::ffff:a.b.c.d` in a sockaddr_in6.
    static func mapped(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> IPAddress {
        var datagram = fo_datagram()
        withUnsafeMutableBytes(of: &datagram.peer) { raw in
            raw.withMemoryRebound(to: sockaddr_in6.self) { peer in
                peer[0].sin6_family = sa_family_t(AF_INET6)
                withUnsafeMutableBytes(of: &peer[0].sin6_addr) { address in
                    address.copyBytes(from: Array(repeating: 0, count: 10) + [0xFF, 0xFF, a, b, c, d])
                }
            }
        }
        return withUnsafePointer(to: &datagram) { IPAddress.from($0)! }
    }

    @Test("A datagram from ::ffff:a.b.c.d is the IPv4 client a.b.c.d; other IPv6 peers stay IPv6")
    func datagramPeersUnmap() throws {
        #expect(Self.mapped(198, 51, 100, 1) == IPAddress(ipv4: (198, 51, 100, 1)))
        #expect(Self.mapped(198, 51, 100, 1).description == "198.51.100.1")
        // And a TCP peer, as NIO reports it.
        let mappedPeer = try SocketAddress(ipAddress: "::ffff:203.0.113.9", port: 53)
        #expect(IPAddress.from(peer: mappedPeer) == IPAddress(ipv4: (203, 0, 113, 9)))
        let v6 = try SocketAddress(ipAddress: "2001:db8::9", port: 53)
        #expect(IPAddress.from(peer: v6) == IPAddress("2001:db8::9"))
    }

    static func limiter(rate: Int = 10) -> ResponseRateLimiter {
        var settings = ResponseRateLimiter.Settings()
        settings.responsesPerSecond = rate
        return ResponseRateLimiter(settings: settings)
    }

    static func sent(_ limiter: ResponseRateLimiter, _ client: IPAddress, count: Int, second: UInt32) -> Int {
        (0..<count).filter { _ in limiter.verdict(for: client, second: second) == .send }.count
    }

    @Test("A flooding IPv4 client (mapped) is limited; one in another /24 keeps its whole budget")
    func mappedPrefixesAreSeparate() {
        let limiter = Self.limiter()
        #expect(Self.sent(limiter, Self.mapped(198, 51, 100, 1), count: 100, second: 7) == 10)
        #expect(Self.sent(limiter, Self.mapped(203, 0, 113, 1), count: 10, second: 7) == 10)
        // The same /24 shares the budget, whichever socket it came through.
        #expect(Self.sent(limiter, IPAddress(ipv4: (198, 51, 100, 200)), count: 5, second: 7) == 0)
    }

    @Test("IPv6 clients in different /56 prefixes have separate budgets; the same /56 shares one")
    func ipv6Prefixes() {
        let limiter = Self.limiter()
        let first = IPAddress(bytes: [0x20, 0x01, 0x0d, 0xb8, 0, 0x53, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])!
        let sameSlash56 = IPAddress(bytes: [0x20, 0x01, 0x0d, 0xb8, 0, 0x53, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 9])!
        let other = IPAddress(bytes: [0x20, 0x01, 0x0d, 0xb8, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])!
        #expect(Self.sent(limiter, first, count: 50, second: 3) == 10)
        #expect(Self.sent(limiter, sameSlash56, count: 5, second: 3) == 0)
        #expect(Self.sent(limiter, other, count: 10, second: 3) == 10)
    }

    @Test("The loopback exemption matches ::ffff:127.0.0.1 as 127.0.0.1")
    func mappedLoopbackIsExempt() {
        let limiter = Self.limiter(rate: 1)
        #expect(Self.sent(limiter, Self.mapped(127, 0, 0, 1), count: 100, second: 1) == 100)
        #expect(Self.sent(limiter, IPAddress(ipv4: (127, 0, 0, 5)), count: 100, second: 1) == 100)
    }

    @Test("A new second brings a new budget")
    func budgetRenews() {
        let limiter = Self.limiter()
        let client = Self.mapped(192, 0, 2, 1)
        #expect(Self.sent(limiter, client, count: 20, second: 100) == 10)
        #expect(Self.sent(limiter, client, count: 20, second: 101) == 10)
    }

    /// A response through its question: header (rcode, answer count), name, type, class.
    static func response(_ name: String, type: UInt16 = 1, rcode: UInt8 = 0, answers: UInt16 = 1) -> [UInt8] {
        var bytes: [UInt8] = [0x12, 0x34, 0x84, rcode, 0, 1, UInt8(answers >> 8), UInt8(answers & 0xFF), 0, 0, 0, 0]
        for label in name.split(separator: ".") {
            bytes.append(UInt8(label.utf8.count))
            bytes += Array(label.utf8)
        }
        bytes += [0, UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
        return bytes
    }

    static func sent(_ limiter: ResponseRateLimiter, _ client: IPAddress, _ response: [UInt8], count: Int,
                     second: UInt32) -> Int {
        response.withUnsafeBytes { bytes in
            (0..<count).filter { _ in
                limiter.verdict(for: client, response: bytes, questionEnd: response.count, second: second) == .send
            }.count
        }
    }

    @Test("A flood of one name spends the budget of that name only: the same resolver's other answers go out")
    func keyedByResponse() {
        let limiter = Self.limiter()
        let resolver = IPAddress(ipv4: (198, 51, 100, 53))
        #expect(Self.sent(limiter, resolver, Self.response("www.example.net"), count: 100, second: 9) == 10)
        #expect(Self.sent(limiter, resolver, Self.response("WWW.Example.NET"), count: 5, second: 9) == 0,
                "names differ only in case: one response")
        #expect(Self.sent(limiter, resolver, Self.response("shop.example.net"), count: 10, second: 9) == 10)
        #expect(Self.sent(limiter, resolver, Self.response("www.example.net", type: 28), count: 10, second: 9) == 10,
                "another type is another response")
    }

    @Test("Random names do not each get a budget: NXDOMAIN is one response, errors one per code")
    func nxdomainAndErrorsShareABudget() {
        let limiter = Self.limiter()
        let client = IPAddress(ipv4: (203, 0, 113, 7))
        let nxdomains = (0..<30).map { Self.response("r\($0).example.net", rcode: 3, answers: 0) }
        let sent = nxdomains.reduce(0) { $0 + Self.sent(limiter, client, $1, count: 1, second: 4) }
        #expect(sent == 10)
        let refused = (0..<30).map { Self.response("q\($0).elsewhere.org", rcode: 5, answers: 0) }
        #expect(refused.reduce(0) { $0 + Self.sent(limiter, client, $1, count: 1, second: 4) } == 10)
        // NODATA is per name, like an answer.
        #expect(Self.sent(limiter, client, Self.response("a.example.net", answers: 0), count: 10, second: 4) == 10)
    }
}
