import Foundation
import Testing

extension Integration {
    /// `failoverd --check-config` as an operator runs it before a reload.
    @Suite struct CheckConfigTests {
        func check(zone: String, extra: String = "") throws -> RunResult {
            let folder = try TemporaryFolder("check")
            defer { folder.remove() }
            let zonePath = try folder.write("zone.db", zone)
            let config = try folder.write("failoverd.yaml", """
                listen: ["127.0.0.1:5399"]
                zone:
                  origin: example.test
                  file: \(zonePath)
                \(extra)
                """)
            return try runTool(try DaemonProcess.binaryPath(), ["--check-config", "--config", config])
        }

        @Test("The test zone passes --check-config (exit 0)")
        func goodConfig() throws {
            let result = try check(zone: TestZone.text)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("ok"), "\(result.stdout)")
        }

        @Test("A broken zone or config fails --check-config with exit 2 (systemd does not restart on it) and the reason")
        func badConfig() throws {
            let cnameAndData = TestZone.text + "alias IN A 192.0.2.1\n"
            var result = try check(zone: cnameAndData)
            #expect(result.status == 2 && result.stderr.contains("CNAME"), "\(result.stdout)\(result.stderr)")
            result = try check(zone: TestZone.text + "www IN A not-an-address\n")
            #expect(result.status == 2 && result.stderr.contains("zone.db"), "\(result.stdout)\(result.stderr)")
            result = try check(zone: TestZone.text, extra: "bogus-key: 1")
            #expect(result.status == 2 && result.stderr.contains("bogus-key"), "\(result.stdout)\(result.stderr)")
        }
    }
}
