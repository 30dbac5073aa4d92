import DNSWire
import Foundation
import Testing

extension Integration {
    /// The fast start of a large state: groups are answered from the checkpoint
    /// file while the model loads behind it, and a stop during that load is
    /// prompt even on one CPU (the load must not hold the only cooperative
    /// thread that signal handling needs).
    @Suite struct FastStartTests {
        /// Groups in the generated state: a checkpoint of ~6 MB, above the 4 MiB fast-start threshold.
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

        /// A generated state in a new folder, its zone's apex text and the first group's name.
        static func generated(_ label: String) throws -> (data: TemporaryFolder, apex: String, firstGroup: String) {
            let data = try TemporaryFolder(label)
            do {
                try generate(into: data.path)
                let apex = try String(contentsOfFile: data.path + "/failoverd.zone", encoding: .utf8)
                let groups = try String(contentsOfFile: data.path + "/groups.tsv", encoding: .utf8)
                guard let first = groups.split(separator: "\n").first?.split(separator: "\t").first else {
                    throw ClientError("no group in \(data.path)/groups.tsv")
                }
                return (data, apex, "\(first).cloud66.net")
            } catch {
                data.remove()
                throw error
            }
        }

        @Test("80k groups: answered from the checkpoint file at READY; SIGTERM during the model load exits at once on one CPU")
        func servesAtOnceAndStopsDuringTheLoad() throws {
            let (data, apex, name) = try Self.generated("fast-start-data")
            defer { data.remove() }
            let daemon = try DaemonProcess(
                zone: apex, origin: "cloud66.net", label: "fast-start",
                prepare: { state in try FileManager.default.copyItem(atPath: data.path + "/state", toPath: state) },
                cpu: 0, waitForControl: false, logLevel: "info")
            defer { daemon.stop() }

            #expect(daemon.log().contains("serving \(Self.groups) groups from the checkpoint file"), "\(daemon.log())")
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
    
        /// A state directory as 0.3 left it (the checkpoint was called `snapshot`, same bytes): served from it at
        /// READY, loaded in full, and moved to `checkpoint` by the compaction at the next stop.
        @Test("80k groups from 0.3: the file named snapshot is served, loaded and renamed to checkpoint")
        func upgradesAStateDirectoryFromVersionThree() throws {
            let (data, apex, name) = try Self.generated("legacy-state-data")
            defer { data.remove() }
            let daemon = try DaemonProcess(
                zone: apex, origin: "cloud66.net", label: "legacy-state",
                prepare: { state in
                    try FileManager.default.copyItem(atPath: data.path + "/state", toPath: state)
                    try FileManager.default.moveItem(atPath: state + "/checkpoint", toPath: state + "/snapshot")
                },
                waitForControl: false, logLevel: "info")
            defer { daemon.stop() }
            /// The control socket opens once the state has loaded behind the served file: a second or two here,
            /// many more in the ThreadSanitizer build, so the deadline is generous.
            func waitForControl() throws {
                let deadline = Date().addingTimeInterval(120)
                while !UnixSocket.isListening(daemon.controlSocket) {
                    guard Date() < deadline, daemon.isRunning else {
                        throw ClientError("the control socket did not open:\n\(daemon.log())")
                    }
                    usleep(50_000)
                }
            }
            let state = daemon.stateDirectory
            #expect(daemon.log().contains("serving \(Self.groups) groups from the checkpoint file"), "\(daemon.log())")
            #expect(try daemon.dig(name, "A").status == "NOERROR")

            try waitForControl()
            let client = try daemon.control()
            let stats = try client.call(op: .stats, args: [:])
            #expect(stats["groups"]?.int64Value == Int64(Self.groups), "\(stats)")
            _ = try client.call(op: .appPut, args: ["app": "after-upgrade", "name": "Added after the upgrade", "web_head": .null])
            #expect(FileManager.default.fileExists(atPath: state + "/snapshot"))
            #expect(!FileManager.default.fileExists(atPath: state + "/checkpoint"))

            // The stop compacts (the journal holds the change): the state moves to its new name.
            try daemon.restart()
            try waitForControl()
            #expect(FileManager.default.fileExists(atPath: state + "/checkpoint"), "\(daemon.log())")
            #expect(!FileManager.default.fileExists(atPath: state + "/snapshot"), "\(daemon.log())")
            let reopened = try daemon.control().call(op: .stats, args: [:])
            #expect(reopened["groups"]?.int64Value == Int64(Self.groups) && reopened["apps"] != stats["apps"],
                    "\(reopened)")
            #expect(try daemon.dig(name, "A").status == "NOERROR")
        }
    }
}
