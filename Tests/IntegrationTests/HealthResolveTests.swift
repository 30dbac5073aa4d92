import FailoverControl
import Foundation
import Testing

extension Integration {
    /// Hostname web heads: the checks go to what the name resolves to, asked again when its TTL runs out.
    @Suite struct HealthResolveTests {
        static func local(_ client: ControlClient, _ app: String) throws -> JSONValue? {
            try client.call(op: .appGet, args: ["app": .string(app)])["health"]?["checkers"]?["local"]
        }

        static func checkedAddresses(_ client: ControlClient, _ app: String) throws -> [String] {
            try local(client, app)?["addresses"]?.arrayValue?.compactMap { $0["address"]?.stringValue } ?? []
        }

        @Test("a hostname web head follows its A record after the TTL (2 s), through health.resolver")
        func followsTheRecord() throws {
            let port = FreePort.find()
            let web = try TestWebServer(host: "127.0.0.2", port: port)
            defer { web.stop() }
            // The name's authority: a failoverd whose group name answers 127.0.0.2, then 127.0.0.3, TTL 2.
            let authority = try DaemonProcess(zone: ControlZone.text, extraConfig: "ttl: 2", label: "health-dns")
            defer { authority.stop() }
            let dns = try authority.control()
            for (app, host) in [("a", "127.0.0.2"), ("b", "127.0.0.3")] {
                _ = try dns.call(op: .appPut, args: ["app": .string(app), "name": .string(app),
                                                     "web_head": ["addresses": [.string(host)]]])
            }
            let group = try #require(try dns.call(op: .groupCreate, args: ["primary": "a", "backup": "b"])["address"]?
                .stringValue)
            let checker = try DaemonProcess(
                zone: ControlZone.text, extraConfig: "health:\n  resolver: \"127.0.0.1:\(authority.port)\"",
                label: "health-resolve")
            defer { checker.stop() }
            let client = try checker.control()
            _ = try client.call(op: .appPut, args: [
                "app": "site", "name": "Site", "web_head": ["hostname": .string("\(group).\(ControlZone.origin)")],
                "health_check": HealthCheckTests.check("tcp", port: port),
            ])
            try HealthCheckTests.waitUp(client, "site")
            #expect(try Self.checkedAddresses(client, "site") == ["127.0.0.2"])

            // The record changes: within the TTL (2 s) plus fall (2 rounds of 1 s) the checks go to 127.0.0.3,
            // where nothing listens.
            _ = try dns.call(op: .groupSwitch, args: ["address": .string(group), "to": "backup", "delay_seconds": 0])
            let down = try waitFor(10) { try client.healthState("site") == "down" }
            #expect(down != nil && down! <= 2 + 2 + 1 + 2, "took \(String(describing: down)) s\n\(checker.log())")
            #expect(try Self.checkedAddresses(client, "site") == ["127.0.0.3"])
            print("health resolve: down \(String(format: "%.2f", down ?? -1)) s after the record changed (TTL 2 s)")

            // And back.
            _ = try dns.call(op: .groupSwitch, args: ["address": .string(group), "to": "primary", "delay_seconds": 0])
            #expect(try waitFor(10) { try client.healthState("site") == "up" } != nil)
            #expect(try Self.checkedAddresses(client, "site") == ["127.0.0.2"])
        }

        @Test("a web head under localhost is checked on the loopback addresses, asked of no DNS server")
        func localhost() throws {
            let port = FreePort.find()
            let web = try TestWebServer(host: "127.0.0.1", port: port)
            defer { web.stop() }
            let daemon = try DaemonProcess(zone: ControlZone.text, label: "health-localhost")
            defer { daemon.stop() }
            let client = try daemon.control()
            _ = try client.call(op: .appPut, args: [
                "app": "local", "name": "Local", "web_head": ["hostname": "web.localhost"],
                "health_check": HealthCheckTests.check("http", port: port),
            ])
            try HealthCheckTests.waitUp(client, "local")
            let addresses = try Self.checkedAddresses(client, "local")
            #expect(addresses == ["127.0.0.1", "::1"], "\(addresses)")
        }
    }
}
