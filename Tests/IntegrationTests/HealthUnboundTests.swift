import DNSWire
import FailoverControl
import Foundation
import Testing

extension Integration {
    /// End-to-end failover through a caching resolver: the primary's web server is killed, and Unbound (in
    /// front of the daemon, caching its answers) must hand out the backup within interval x fall + ttl, with
    /// the fast settings of docs/failover-groups.md (ttl 5, interval 1 s, fall 2, timeout 1 s).
    @Suite struct HealthUnboundTests {
        static let ttl = 5.0
        static let interval = 1.0
        static let fall = 2.0
        /// Unbound's whole-second clock and the 200 ms policy pass; the goal itself is interval x fall + ttl.
        static let slack = 2.0

        /// The A record of `name` through `resolver`, and its TTL; nil when no A came back.
        static func ask(_ socket: UDPClient, _ name: String, id: UInt16) throws -> (address: [UInt8], ttl: UInt32)? {
            try socket.send(QuerySpec(name: name, type: .a, id: id, recursionDesired: true).bytes())
            let deadline = Date().addingTimeInterval(1)
            while Date() < deadline {
                guard let bytes = socket.receive(timeout: deadline.timeIntervalSinceNow),
                    let reply = try? Message(bytes: bytes)
                else { return nil }
                guard reply.header.id == id else { continue }
                return reply.answers.first { $0.type == .a }.map { ($0.rdata, $0.ttl) }
            }
            return nil
        }

        @Test("primary's web server killed: Unbound answers the backup within interval*fall + ttl (+ slack)")
        func failoverSeenThroughUnbound() throws {
            let port = FreePort.find()
            let primary = try TestWebServer(host: "127.0.0.2", port: port)
            let backup = try TestWebServer(host: "127.0.0.3", port: port)
            defer { primary.stop(); backup.stop() }
            let daemon = try DaemonProcess(zone: ControlZone.text, extraConfig: "ttl: \(Int(Self.ttl))",
                                           label: "health-unbound")
            defer { daemon.stop() }
            let unbound = try CachingResolverProcess(.unbound, upstream: daemon.ipv4, zone: ControlZone.origin)
            defer { unbound.stop() }
            let client = try daemon.control()
            for (app, host) in [("primary", "127.0.0.2"), ("backup", "127.0.0.3")] {
                _ = try client.call(op: .appPut, args: [
                    "app": .string(app), "name": .string(app), "web_head": ["addresses": [.string(host)]],
                    "health_check": ["type": "http", "port": JSONValue(port), "interval_seconds": 1,
                                     "timeout_seconds": 1, "fall": 2, "rise": 1],
                ])
            }
            let address = try #require(try client.call(op: .groupCreate, args: [
                "primary": "primary", "backup": "backup", "auto_failover": true, "min_switch_interval_seconds": 0,
            ])["address"]?.stringValue)
            let name = "\(address).\(ControlZone.origin)"
            try HealthCheckTests.waitUp(client, "primary", "backup")
            let socket = try UDPClient(server: unbound.endpoint)
            var id: UInt16 = 1

            // The worst case for the cache: Unbound has just fetched the primary's answer (full TTL) when the
            // server dies. Ask until an answer carries the full TTL (fetched within the last second).
            var fresh = false
            let start = Date()
            while Date().timeIntervalSince(start) < Self.ttl + 3 {
                id &+= 1
                if let answer = try Self.ask(socket, name, id: id), answer.address == [127, 0, 0, 2],
                    Double(answer.ttl) >= Self.ttl
                {
                    fresh = true
                    break
                }
                usleep(100_000)
            }
            try #require(fresh, "Unbound never served a freshly fetched primary answer\n\(unbound.log())")
            primary.stop()
            let killed = Date()
            var seen: Double?
            var sawCachedPrimary = false
            while Date().timeIntervalSince(killed) < 20 {
                id &+= 1
                let answer = try Self.ask(socket, name, id: id)
                if answer?.address == [127, 0, 0, 3] {
                    seen = Date().timeIntervalSince(killed)
                    break
                }
                if answer?.address == [127, 0, 0, 2], (answer?.ttl ?? 0) > 0 { sawCachedPrimary = true }
                usleep(50_000)
            }
            let goal = Self.interval * Self.fall + Self.ttl
            #expect(sawCachedPrimary, "Unbound served no cached primary answer after the kill: nothing was tested")
            let took = try #require(seen, "Unbound never answered the backup\n\(unbound.log())\n\(daemon.log())")
            #expect(took <= goal + Self.slack, "backup seen \(took) s after the kill; goal \(goal) s")
            print("[health-unbound] primary killed -> backup through Unbound: \(String(format: "%.2f", took)) s "
                + "(goal interval*fall + ttl = \(goal) s)")
        }
    }
}
