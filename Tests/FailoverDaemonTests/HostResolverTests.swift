import DNSWire
import Foundation
import Glibc
import Synchronization
import Testing

@testable import FailoverDaemon

/// Hostname web heads: how long a resolution is kept (its TTL, clamped), and the checker's resolver against
/// a fake recursive server on loopback (A and AAAA with TTLs, a CNAME chain, localhost never asked).
@Suite struct HostResolverTests {
    @Test func keptForTheTTLWithinTheBounds() {
        #expect(ResolvedHosts.keep(ttl: 0) == ResolvedHosts.minimumSeconds)
        #expect(ResolvedHosts.keep(ttl: 30) == 30)
        #expect(ResolvedHosts.keep(ttl: 86_400) == ResolvedHosts.maximumSeconds)
        #expect(ResolvedHosts.keep(ttl: nil) == ResolvedHosts.unknownTTLSeconds)
        var hosts = ResolvedHosts()
        let answer = ResolvedHost(addresses: ["192.0.2.1", "2001:db8::1"], ttl: 30)
        #expect(hosts.store("lb.example.net", answer, now: 1_000) == 31_000)
        #expect(hosts.fresh("lb.example.net", now: 30_999) == ["192.0.2.1", "2001:db8::1"])
        #expect(hosts.fresh("lb.example.net", now: 31_000) == nil, "expired at the TTL: resolved again")
        #expect(hosts.fresh("other.example.net", now: 1_000) == nil)
        // An expired name is dropped when another is stored: nothing accumulates with app churn.
        hosts.store("other.example.net", ResolvedHost(addresses: ["192.0.2.2"], ttl: 0), now: 40_000)
        #expect(hosts.count == 1)
        #expect(hosts.fresh("other.example.net", now: 41_999) == ["192.0.2.2"])
        #expect(hosts.fresh("other.example.net", now: 42_000) == nil)
    }

    @Test func nameserverFromResolvConf() {
        #expect(DNSHostResolver.nameserver(inResolvConf: "# x\nsearch example.net\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n")?
            .description == "192.0.2.53:53")
        #expect(DNSHostResolver.nameserver(inResolvConf: "nameserver\tfe80::1%eth0\n")?.description == "[fe80::1]:53")
        #expect(DNSHostResolver.nameserver(inResolvConf: "options ndots:2\n") == nil)
    }

    /// A recursive server on 127.0.0.1 that answers every query from `answers` (by type) and counts queries.
    final class FakeServer: Sendable {
        let fd: Int32
        let port: UInt16
        let queries = Mutex<[String]>([])
        let answers: [RecordType: [ResourceRecord]]
        private let stopped = Atomic<Bool>(false)
        private let done = DispatchSemaphore(value: 0)

        init(answers: [RecordType: [ResourceRecord]]) throws {
            self.answers = answers
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                    bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
                }
            }
            self.fd = fd
            port = UInt16(bigEndian: address.sin_port)
            guard bound else {
                close(fd)
                throw HostResolverTests.Failure(description: "cannot bind the fake DNS server")
            }
            Thread { [self] in serve() }.start()
        }

        /// Answers until ``stop()``; polls so that it notices, and closes the socket itself.
        private func serve() {
            defer {
                close(fd)
                done.signal()
            }
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !stopped.load(ordering: .relaxed) {
                var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&descriptor, 1, 50) > 0 else { continue }
                var peer = sockaddr_storage()
                var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let count = withUnsafeMutablePointer(to: &peer) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(fd, &buffer, 4096, 0, $0, &length)
                    }
                }
                guard count > 0, let query = try? Message(bytes: Array(buffer[..<count])),
                    let question = query.questions.first
                else { continue }
                queries.withLock { $0.append("\(question.name) \(question.type)") }
                var header = DNSHeader(id: query.header.id)
                header.isResponse = true
                let reply = Message(header: header, questions: query.questions,
                                    answers: answers[question.type] ?? []).serialize()
                _ = withUnsafePointer(to: &peer) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, reply, reply.count, 0, $0, length)
                    }
                }
            }
        }

        func stop() {
            stopped.store(true, ordering: .relaxed)
            done.wait()
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    @Test func asksTheServerForAAndAAAAWithTheSmallestTTL() throws {
        let name = try DomainName("lb.example.net")
        let target = try DomainName("web-1.example.net")
        let cname = ResourceRecord(name: name, type: .cname, ttl: 120, rdata: target.wire)
        let server = try FakeServer(answers: [
            .a: [cname, ResourceRecord(name: target, type: .a, ttl: 40, rdata: [192, 0, 2, 7]),
                 ResourceRecord(name: target, type: .a, ttl: 60, rdata: [192, 0, 2, 8])],
            .aaaa: [cname, ResourceRecord(name: target, type: .aaaa, ttl: 50,
                                          rdata: [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [9])],
        ])
        defer { server.stop() }
        let resolver = DNSHostResolver(server: try ListenAddress(parsing: "127.0.0.1:\(server.port)"))
        let answer = try resolver.resolve("lb.example.net")
        #expect(answer == ResolvedHost(addresses: ["192.0.2.7", "192.0.2.8", "2001:db8::9"], ttl: 40))
        #expect(server.queries.withLock { $0 } == ["lb.example.net. A", "lb.example.net. AAAA"])
    }

    @Test func localhostNamesAreNeverAskedAndANameTheServerLacksFallsBackToGetaddrinfo() throws {
        let server = try FakeServer(answers: [:])
        defer { server.stop() }
        let resolver = DNSHostResolver(server: try ListenAddress(parsing: "127.0.0.1:\(server.port)"))
        for name in ["localhost", "web.localhost", "Shop.LocalHost."] {
            #expect(try resolver.resolve(name) == ResolvedHost(addresses: ["127.0.0.1", "::1"], ttl: nil))
        }
        #expect(server.queries.withLock { $0 }.isEmpty, "a localhost name must not be sent to a DNS server")
        // The server has no address for the name: getaddrinfo's answer (an address literal: no lookup at all).
        #expect(try resolver.resolve("127.0.0.9") == ResolvedHost(addresses: ["127.0.0.9"], ttl: nil))
        #expect(server.queries.withLock { $0 }.count == 2)
        // No server at all: getaddrinfo only.
        #expect(try DNSHostResolver(server: nil).resolve("127.0.0.9").addresses == ["127.0.0.9"])
    }
}
