import FailoverControl
import Foundation
import Testing

extension Integration {
    /// Health-checked automatic failover against real web servers on loopback addresses (127.0.0.2 primary,
    /// 127.0.0.3 backup), checked every second with fall 2.
    @Suite struct HealthCheckTests {
        /// interval 1 s x fall 2 + timeout 1 s + 1 s: the promise of docs/failover-groups.md.
        static let failoverBound = 4.0

        static func check(_ type: String, port: UInt16, extra: [String: JSONValue] = [:]) -> JSONValue {
            var members: [String: JSONValue] = [
                "type": .string(type), "port": JSONValue(port), "interval_seconds": 1, "timeout_seconds": 1,
                "fall": 2, "rise": 1,
            ]
            for (key, value) in extra { members[key] = value }
            return .object(members)
        }

        /// A daemon with apps `primary` (127.0.0.2) and `backup` (127.0.0.3) checked with `type` on `port`,
        /// and a group with `policy`; returns the daemon, a client and the group's address.
        static func setUp(_ label: String, type: String, port: UInt16, policy: [String: JSONValue],
                          primaryCheck: JSONValue? = nil) throws -> (DaemonProcess, ControlClient, String) {
            let daemon = try DaemonProcess(zone: ControlZone.text, extraConfig: "ttl: 30", label: label)
            let client = try daemon.control()
            for (app, host) in [("primary", "127.0.0.2"), ("backup", "127.0.0.3")] {
                _ = try client.call(op: .appPut, args: [
                    "app": .string(app), "name": .string(app), "web_head": ["addresses": [.string(host)]],
                    "health_check": app == "primary" ? primaryCheck ?? check(type, port: port) : check(type, port: port),
                ])
            }
            var args: [String: JSONValue] = ["primary": "primary", "backup": "backup"]
            for (key, value) in policy { args[key] = value }
            let group = try #require(try client.call(op: .groupCreate, args: args)["address"]?.stringValue)
            return (daemon, client, group)
        }

        static func waitUp(_ client: ControlClient, _ apps: String...) throws {
            for app in apps {
                let took = try waitFor(6) { try client.healthState(app) == "up" }
                let info = try client.call(op: .appGet, args: ["app": .string(app)])
                #expect(took != nil, "\(app) never became up: \(info)")
            }
        }

        @Test("primary stops: DNS moves to the backup within interval*fall+timeout+1 s; manual failback stays, auto failback returns")
        func failoverAndFailback() throws {
            let port = FreePort.find()
            let primary = try TestWebServer(host: "127.0.0.2", port: port)
            let backup = try TestWebServer(host: "127.0.0.3", port: port)
            defer { primary.stop(); backup.stop() }
            let (daemon, client, group) = try Self.setUp(
                "health-failover", type: "http", port: port,
                policy: ["auto_failover": true, "min_switch_interval_seconds": 0])
            defer { daemon.stop() }
            let watcher = try EventCollector(socketPath: daemon.controlSocket)
            defer { watcher.stop() }
            try Self.waitUp(client, "primary", "backup")
            #expect(try daemon.groupAddress(group) == "127.0.0.2")

            primary.stop()
            let took = try waitFor(10) { try daemon.groupAddress(group) == "127.0.0.3" }
            #expect(took != nil && took! <= Self.failoverBound, "failover took \(String(describing: took)) s\n\(daemon.log())")
            print("health failover: DNS moved \(String(format: "%.2f", took ?? -1)) s after the primary stopped")
            let done = watcher.events("switch.done", address: group)
            #expect(done.last?["reason"] == "health", "\(done)")
            #expect(watcher.events("health.changed").contains { $0["app"] == "primary" && $0["state"] == "down" })
            let info = try client.call(op: .appGet, args: ["app": "primary"])
            let local = info["health"]?["checkers"]?["local"]
            #expect(local?["state"] == "down" && local?["addresses"]?.arrayValue?.first?["ok"] == false, "\(info)")
            #expect(local?["addresses"]?.arrayValue?.first?["error"]?.stringValue?.isEmpty == false, "\(info)")

            // failback manual (the default): the primary comes back, the group stays on the backup.
            try primary.start()
            try Self.waitUp(client, "primary")
            Thread.sleep(forTimeInterval: 2.5)
            #expect(try daemon.groupAddress(group) == "127.0.0.3", "manual failback must not move the group")

            // failback auto after the primary has been up 1 s.
            _ = try client.call(op: .groupUpdate, args: [
                "address": .string(group), "failback": "auto", "failback_after_seconds": 1,
            ])
            let back = try waitFor(5) { try daemon.groupAddress(group) == "127.0.0.2" }
            #expect(back != nil, "auto failback did not happen\n\(daemon.log())")
            #expect(watcher.events("switch.done", address: group).last?["reason"] == "health")
        }

        @Test("both apps down: no switch, the group says so (failover_blocked, event)")
        func bothDown() throws {
            let port = FreePort.find()
            let primary = try TestWebServer(host: "127.0.0.2", port: port)
            let backup = try TestWebServer(host: "127.0.0.3", port: port)
            defer { primary.stop(); backup.stop() }
            let (daemon, client, group) = try Self.setUp(
                "health-bothdown", type: "tcp", port: port, policy: ["auto_failover": true])
            defer { daemon.stop() }
            let watcher = try EventCollector(socketPath: daemon.controlSocket)
            defer { watcher.stop() }
            try Self.waitUp(client, "primary", "backup")
            backup.stop()
            #expect(try waitFor(6) { try client.healthState("backup") == "down" } != nil)
            primary.stop()
            #expect(try waitFor(6) { try client.healthState("primary") == "down" } != nil)
            let blocked = try waitFor(3) {
                try client.call(op: .groupGet, args: ["address": .string(group)])["failover_blocked"] == "target_down"
            }
            #expect(blocked != nil)
            #expect(try daemon.groupAddress(group) == "127.0.0.2")
            #expect(watcher.events("failover.blocked", address: group).first?["reason"] == "target_down")
            #expect(watcher.events("switch.done", address: group).isEmpty)
        }

        @Test("quorum: the daemon's own checks say down, two external checkers say up: no switch")
        func quorumKeepsTheGroup() throws {
            let port = FreePort.find()
            let closedPort = FreePort.find()
            let backup = try TestWebServer(host: "127.0.0.3", port: port)
            defer { backup.stop() }
            let (daemon, client, group) = try Self.setUp(
                "health-quorum", type: "tcp", port: port, policy: ["auto_failover": true],
                primaryCheck: Self.check("tcp", port: closedPort))
            defer { daemon.stop() }
            for checker in ["eu-1", "us-1"] {
                _ = try client.call(op: .appReportHealth, args: [
                    "app": "primary", "checker": .string(checker), "state": "up", "ttl_seconds": 60,
                ])
            }
            try Self.waitUp(client, "backup")
            let info = try client.call(op: .appGet, args: ["app": "primary"])
            Thread.sleep(forTimeInterval: 3)
            let after = try client.call(op: .appGet, args: ["app": "primary"])
            #expect(after["health"]?["checkers"]?["local"]?["state"] == "down", "\(info)\n\(after)")
            #expect(after["health"]?["state"] == "up", "\(after)")
            #expect(try daemon.groupAddress(group) == "127.0.0.2")
            // A third checker agreeing with the daemon makes it a tie: unknown, still no switch.
            _ = try client.call(op: .appReportHealth, args: ["app": "primary", "checker": "ap-1", "state": "down"])
            #expect(try client.healthState("primary") == "unknown")
            Thread.sleep(forTimeInterval: 1)
            #expect(try daemon.groupAddress(group) == "127.0.0.2")
            expectControlError("bad_request", "the daemon's own checker name") {
                try client.call(op: .appReportHealth, args: ["app": "primary", "checker": "local", "state": "up"])
            }
            expectControlError("not_found", "unknown app") {
                try client.call(op: .appReportHealth, args: ["app": "nope", "checker": "x", "state": "up"])
            }
        }

        @Test("flapping: one automatic switch per min_switch_interval; a manual switch wins over the policy")
        func dampingAndManualWins() throws {
            let port = FreePort.find()
            let primary = try TestWebServer(host: "127.0.0.2", port: port)
            let backup = try TestWebServer(host: "127.0.0.3", port: port)
            defer { primary.stop(); backup.stop() }
            let (daemon, client, group) = try Self.setUp(
                "health-flap", type: "http", port: port,
                policy: ["auto_failover": true, "min_switch_interval_seconds": 30])
            defer { daemon.stop() }
            let watcher = try EventCollector(socketPath: daemon.controlSocket)
            defer { watcher.stop() }
            try Self.waitUp(client, "primary", "backup")
            primary.stop()
            #expect(try waitFor(Self.failoverBound + 1) { try daemon.groupAddress(group) == "127.0.0.3" } != nil)
            // Now the other way round: the policy would switch back, but not within 30 s of the last switch.
            try primary.start()
            backup.stop()
            #expect(try waitFor(6) { try client.healthState("backup") == "down" } != nil)
            Thread.sleep(forTimeInterval: 1.5)
            #expect(try daemon.groupAddress(group) == "127.0.0.3", "damping must hold the group")
            #expect(watcher.events("switch.done", address: group).filter { $0["reason"] == "health" }.count == 1)

            // The operator switches by hand: it applies, and the policy does not undo it.
            try backup.start()
            try Self.waitUp(client, "backup")
            _ = try client.call(op: .groupSwitch, args: ["address": .string(group), "to": "primary", "delay_seconds": 0])
            #expect(try daemon.groupAddress(group) == "127.0.0.2")
            primary.stop()
            #expect(try waitFor(6) { try client.healthState("primary") == "down" } != nil)
            Thread.sleep(forTimeInterval: 1)
            #expect(try daemon.groupAddress(group) == "127.0.0.2", "a manual switch must win over the policy")
            #expect(watcher.events("switch.done", address: group).last?["reason"] == "manual")
        }

        @Test("https: a self-signed certificate fails verification; insecure: true passes")
        func httpsVerification() throws {
            let folder = try TemporaryFolder("health-tls")
            defer { folder.remove() }
            let openssl = try FaultSupport.run("/usr/bin/openssl", [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", folder.path + "/key.pem", "-out",
                folder.path + "/cert.pem", "-days", "1", "-subj", "/CN=shop.example.test",
                "-addext", "subjectAltName=DNS:shop.example.test",
            ])
            try #require(openssl.status == 0, "\(openssl.output)")
            let port = FreePort.find()
            let server = try TestWebServer(host: "127.0.0.2", port: port,
                                           tls: (folder.path + "/cert.pem", folder.path + "/key.pem"))
            defer { server.stop() }
            let daemon = try DaemonProcess(zone: ControlZone.text, label: "health-https")
            defer { daemon.stop() }
            let client = try daemon.control()
            for (app, insecure) in [("verified", false), ("insecure", true)] {
                _ = try client.call(op: .appPut, args: [
                    "app": .string(app), "name": .string(app), "web_head": ["addresses": ["127.0.0.2"]],
                    "health_check": Self.check("https", port: port,
                                               extra: ["host": "shop.example.test", "insecure": .bool(insecure)]),
                ])
            }
            try Self.waitUp(client, "insecure")
            #expect(try waitFor(6) { try client.healthState("verified") == "down" } != nil)
            let info = try client.call(op: .appGet, args: ["app": "verified"])
            let error = info["health"]?["checkers"]?["local"]?["addresses"]?.arrayValue?.first?["error"]?.stringValue ?? ""
            #expect(error.contains("TLS"), "\(info)")
            #expect(info["health_check"]?["insecure"] == false && info["health_check"]?["path"] == "/")
        }
    }
}
