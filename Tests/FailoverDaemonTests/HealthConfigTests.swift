import Foundation
import Testing

@testable import FailoverDaemon

/// `health.quorum`: read, defaulted to a majority (nil), and refused outside 1-64 or under an unknown key;
/// `health.ca-file`: a path, read at start (a missing or empty file refuses the start); `health.resolver`:
/// HOST:PORT with an IP address.
@Suite struct HealthConfigTests {
    @Test func quorum() throws {
        #expect(try DaemonConfig.parse(yaml: "", source: "x.yaml").healthQuorum == nil)
        #expect(try DaemonConfig.parse(yaml: "health:\n  quorum: 2\n", source: "x.yaml").healthQuorum == 2)
        for yaml in ["health:\n  quorum: 0\n", "health:\n  quorum: 65\n", "health:\n  quorom: 2\n", "health: 2\n"] {
            #expect(throws: (any Error).self, "\(yaml)") { try DaemonConfig.parse(yaml: yaml, source: "x.yaml") }
        }
    }

    @Test func caFile() throws {
        #expect(try DaemonConfig.parse(yaml: "", source: "x.yaml").healthCAFile == nil)
        let config = try DaemonConfig.parse(yaml: "health:\n  ca-file: /nonexistent/ca.pem\n", source: "x.yaml")
        #expect(config.healthCAFile == "/nonexistent/ca.pem")
        #expect(try Daemon.loadHealthTrust(config: DaemonConfig.parse(yaml: "", source: "x.yaml")).isEmpty)
        #expect(throws: StartupError.self) { try Daemon.loadHealthTrust(config: config) }
        let empty = NSTemporaryDirectory() + "/empty-ca-\(getpid()).pem"
        _ = FileManager.default.createFile(atPath: empty, contents: Data("not a certificate\n".utf8))
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let bad = try DaemonConfig.parse(yaml: "health:\n  ca-file: \(empty)\n", source: "x.yaml")
        #expect(throws: StartupError.self) { try Daemon.loadHealthTrust(config: bad) }
        #expect(throws: (any Error).self) { try DaemonConfig.parse(yaml: "health:\n  ca-file: [a]\n", source: "x.yaml") }
    }

    @Test func resolver() throws {
        #expect(try DaemonConfig.parse(yaml: "", source: "x.yaml").healthResolver == nil)
        let config = try DaemonConfig.parse(yaml: "health:\n  resolver: \"[::1]:5300\"\n", source: "x.yaml")
        #expect(config.healthResolver?.description == "[::1]:5300")
        for yaml in ["health:\n  resolver: localhost:53\n", "health:\n  resolver: 127.0.0.1\n"] {
            #expect(throws: (any Error).self, "\(yaml)") { try DaemonConfig.parse(yaml: yaml, source: "x.yaml") }
        }
    }
}
