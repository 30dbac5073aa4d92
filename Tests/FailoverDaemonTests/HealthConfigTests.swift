import Testing

@testable import FailoverDaemon

/// `health.quorum`: read, defaulted to a majority (nil), and refused outside 1-64 or under an unknown key.
@Suite struct HealthConfigTests {
    @Test func quorum() throws {
        #expect(try DaemonConfig.parse(yaml: "", source: "x.yaml").healthQuorum == nil)
        #expect(try DaemonConfig.parse(yaml: "health:\n  quorum: 2\n", source: "x.yaml").healthQuorum == 2)
        for yaml in ["health:\n  quorum: 0\n", "health:\n  quorum: 65\n", "health:\n  quorom: 2\n", "health: 2\n"] {
            #expect(throws: (any Error).self, "\(yaml)") { try DaemonConfig.parse(yaml: yaml, source: "x.yaml") }
        }
    }
}
