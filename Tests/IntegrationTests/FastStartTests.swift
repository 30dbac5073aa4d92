import DNSWire
import Foundation
import Testing

extension Integration {
    /// The fast start of a large state: groups are answered from the snapshot
    /// file while the model loads behind it, and a stop during that load is
    /// prompt even on one CPU (the load must not hold the only cooperative
    /// thread that signal handling needs).
    @Suite struct FastStartTests {
        /// Groups in the generated state: a snapshot of ~6 MB, above the 4 MiB fast-start threshold.
        static let groups = 80_000

        /// Generates the benchmark's state for `groups` groups with failoverd-bench-state (built beside failoverd).
        static func generate(into folder: String) throws {
            let tool = URL(fileURLWithPath: try DaemonProcess.binaryPath()).deletingLastPathComponent()
                .appendingPathComponent("failoverd-bench-state").path
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = [String(groups), folder, "--queries", "10"]
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw ClientError("\(tool) failed: \(process.terminationStatus)") }
        }

        @Test("80k groups: answered from the snapshot file at READY; SIGTERM during the model load exits at once on one CPU")
        func servesAtOnceAndStopsDuringTheLoad() throws {
            let data = try TemporaryFolder("fast-start-data")
            defer { data.remove() }
            try Self.generate(into: data.path)
            let apex = try String(contentsOfFile: data.path + "/failoverd.zone", encoding: .utf8)
            let firstGroup = try #require(
                try String(contentsOfFile: data.path + "/groups.tsv", encoding: .utf8).split(separator: "\n").first?
                    .split(separator: "\t"))
            let daemon = try DaemonProcess(
                zone: apex, origin: "cloud66.net", label: "fast-start",
                prepare: { state in try FileManager.default.copyItem(atPath: data.path + "/state", toPath: state) },
                cpu: 0, waitForControl: false, logLevel: "info")
            defer { daemon.stop() }

            #expect(daemon.log().contains("serving \(Self.groups) groups from the snapshot file"), "\(daemon.log())")
            let name = "\(firstGroup[0]).cloud66.net"
            let reply = try ask(QuerySpec(name: name, type: .a), at: daemon.ipv4)
            #expect(reply.header.rcode == 0 && !reply.answers.isEmpty, "\(name): \(reply.answers)")

            let loadedBeforeStop = daemon.log().contains("state loaded: the control socket is open")
            let stopped = Date()
            kill(daemon.pid, SIGTERM)
            while daemon.isRunning, Date().timeIntervalSince(stopped) < 30 { usleep(10_000) }
            let seconds = Date().timeIntervalSince(stopped)
            print("[fast-start] \(Self.groups) groups served at READY; stopped \(String(format: "%.2f", seconds)) s "
                + "after SIGTERM (model loaded before the stop: \(loadedBeforeStop))")
            #expect(!daemon.isRunning)
            #expect(seconds < 3, "the stop waited for the model load:\n\(daemon.log())")
            #expect(!daemon.log().contains("already shut down"), "\(daemon.log())")
            if !loadedBeforeStop {
                #expect(!daemon.log().contains("state loaded: the control socket is open"), "\(daemon.log())")
            }
        }
    }
}
