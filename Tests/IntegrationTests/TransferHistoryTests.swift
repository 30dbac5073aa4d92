import FailoverControl
import Foundation
import Testing

extension Integration {
    /// The IXFR history survives a clean restart (the `ixfr` file in the
    /// state directory): a secondary behind by a few changes still gets an
    /// incremental transfer afterwards, not the whole zone.
    @Suite struct TransferHistoryTests {
        /// `dig IXFR=serial` over TCP: the record lines (name, TTL, class, type, data...).
        static func ixfr(at server: Endpoint, from serial: UInt32) throws -> [[String]] {
            let result = try runTool(try locateTool("dig"), [
                "@" + server.host, "-p", String(server.port), "example.test", "IXFR=\(serial)", "+tcp", "+time=3",
                "+tries=1",
            ])
            return result.stdout.split(separator: "\n").filter { !$0.hasPrefix(";") && !$0.isEmpty }
                .map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
        }

        @Test("After a clean restart, IXFR from a serial before it is incremental (SOA new, SOA old, ...), not a full transfer")
        func historySurvivesACleanRestart() throws {
            let daemon = try DaemonProcess(
                zone: TestZone.text,
                extraConfig: DaemonProcess.transfersFromLoopback,
                label: "ixfr-restart")
            defer { daemon.stop() }
            let before = try #require(SecondaryTests.serial(at: daemon.ipv4))
            let client = try ControlClient(socketPath: daemon.controlSocket, timeout: 10)
            _ = try client.call(op: .appPut, args: ["app": "shop", "name": "Shop", "web_head": ["hostname": "lb-1.example.net"]])
            _ = try client.call(op: .groupCreate, args: ["address": "414-262-781", "primary": "shop"])
            let after = try #require(SecondaryTests.serial(at: daemon.ipv4))
            #expect(after != before)

            let live = try Self.ixfr(at: daemon.ipv4, from: before)
            #expect(live.count >= 3 && live[1].count > 3 && live[1][3] == "SOA", "before the restart:\n\(live)")

            try daemon.restart()
            #expect(SecondaryTests.serial(at: daemon.ipv4) == after)
            let restored = try Self.ixfr(at: daemon.ipv4, from: before)
            #expect(restored == live, "after the restart the IXFR differs:\n\(restored)\nwas:\n\(live)")
            #expect(!FileManager.default.fileExists(atPath: daemon.stateDirectory + "/ixfr"), "read files are removed")
            print("[ixfr-restart] IXFR from \(before) to \(after): \(restored.count) records before and after a restart")
        }
    }
}
