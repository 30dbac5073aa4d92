import DNSWire
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A failoverd process started on free loopback ports with a zone file, for
/// the length of one test. Call `stop()` (in a defer) when done.
final class DaemonProcess {
    let folder: TemporaryFolder
    let port: UInt16
    let origin: String
    let configPath: String
    let stderrPath: String
    /// Added to the test's environment for every launch (e.g. LD_PRELOAD).
    let environment: [String: String]
    private var process = Process()
    private let cpu: Int?
    private let waitsForControl: Bool

    /// `extraConfig` that lets 127.0.0.1 transfer the zone without a key.
    static let transfersFromLoopback = """
        transfer:
          allow:
            - address: 127.0.0.1
        """

    /// The control socket and state directory live in the test's folder.
    var controlSocket: String { folder.path + "/control.sock" }
    var stateDirectory: String { folder.path + "/state" }

    var ipv4: Endpoint { Endpoint(host: "127.0.0.1", port: port) }
    var ipv6: Endpoint { Endpoint(host: "::1", port: port) }

    /// The failoverd binary: FAILOVERD_BIN, else next to the test bundle.
    static func binaryPath() throws -> String {
        if let path = ProcessInfo.processInfo.environment["FAILOVERD_BIN"], !path.isEmpty { return path }
        var folders: [String] = []
        if let first = CommandLine.arguments.first {
            folders.append(URL(fileURLWithPath: first).resolvingSymlinksInPath().deletingLastPathComponent().path)
        }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            folders.append(URL(fileURLWithPath: exe).deletingLastPathComponent().path)
        }
        for folder in folders {
            // The bundle may be a folder (xctest bundle layout) one or more levels down.
            var candidate = URL(fileURLWithPath: folder)
            for _ in 0..<4 {
                let binary = candidate.appendingPathComponent("failoverd").path
                if FileManager.default.isExecutableFile(atPath: binary) { return binary }
                candidate.deleteLastPathComponent()
            }
        }
        throw ClientError("""
            cannot find the failoverd binary next to the test bundle (looked in \(folders)); \
            build it with `swift build` or set FAILOVERD_BIN
            """)
    }

    /// Writes the config and zone, starts failoverd, waits until it answers.
    /// `control` holds extra keys of the `control:` mapping, one `key: value` per
    /// element (e.g. `"idle-timeout: 1"`), written under the `socket:` key;
    /// `udp` likewise for the `udp:` mapping, under `workers: 1`.
    /// `environment` is added to the daemon's environment on every launch.
    /// `prepare` runs before the first launch with the state directory (to
    /// put a state there); `cpu` pins the daemon to one CPU (taskset);
    /// `waitForControl: false` returns once DNS answers.
    init(zone: String, origin: String = "example.test", extraConfig: String = "", control: [String] = [],
         udp: [String] = [], environment: [String: String] = [:], label: String = "daemon",
         prepare: ((String) throws -> Void)? = nil, cpu: Int? = nil, waitForControl: Bool = true,
         logLevel: String = "warning") throws {
        self.environment = environment
        self.cpu = cpu
        self.waitsForControl = waitForControl
        folder = try TemporaryFolder(label)
        port = FreePort.find()
        self.origin = origin
        let zonePath = try folder.write("zone.db", zone)
        let controlBlock = (["socket: \(folder.path)/control.sock"] + control).map { "  " + $0 }.joined(separator: "\n")
        let udpBlock = (["workers: 1"] + udp).map { "  " + $0 }.joined(separator: "\n")
        configPath = try folder.write("failoverd.yaml", """
            listen: ["127.0.0.1:\(port)", "[::1]:\(port)"]
            zone:
              origin: \(origin)
              file: \(zonePath)
            udp:
            \(udpBlock)
            tcp:
              idle-timeout: 2
              message-timeout: 2
            log-level: \(logLevel)
            state-dir: \(folder.path)/state
            control:
            \(controlBlock)
            \(extraConfig)
            """)
        stderrPath = folder.path + "/failoverd.stderr"
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        do {
            try prepare?(stateDirectory)
            try launch()
        } catch {
            stop()
            throw error
        }
    }

    /// Starts the process on the same config and state and waits until it answers.
    private func launch() throws {
        process = Process()
        if let cpu {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
            process.arguments = ["-c", String(cpu), try Self.binaryPath(), "--config", configPath]
        } else {
            process.executableURL = URL(fileURLWithPath: try Self.binaryPath())
            process.arguments = ["--config", configPath]
        }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, added in added }
        }
        let logHandle = FileHandle(forWritingAtPath: stderrPath)
        logHandle?.seekToEndOfFile()
        process.standardError = logHandle
        process.standardOutput = logHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try waitUntilReady()
        if waitsForControl { try waitForControlSocket() }
    }

    /// Kills the daemon with SIGKILL (no clean shutdown) and waits for it.
    func kill9() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Stops (SIGTERM) if running, then starts again on the same state.
    func restart() throws {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try launch()
    }

    var pid: Int32 { process.processIdentifier }

    /// Waits until the control socket accepts connections (5 s at most).
    private func waitForControlSocket() throws {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if UnixSocket.isListening(controlSocket) { return }
            usleep(20_000)
        }
        throw ClientError("failoverd's control socket \(controlSocket) did not open within 5 s:\n\(log())")
    }

    var isRunning: Bool { process.isRunning }

    /// Polls with a UDP SOA query until an answer arrives (10 s at most).
    private func waitUntilReady() throws {
        let deadline = Date().addingTimeInterval(10)
        let query = QuerySpec(name: origin, type: .soa, id: 0x0BAD).bytes()
        while Date() < deadline {
            guard process.isRunning else {
                throw ClientError("failoverd exited with status \(process.terminationStatus) during start-up:\n\(log())")
            }
            if let client = try? UDPClient(server: ipv4), (try? client.exchange(query, timeout: 0.2)) != nil {
                return
            }
            usleep(50_000)
        }
        throw ClientError("failoverd did not answer a SOA query on \(ipv4) within 10 s:\n\(log())")
    }

    func log() -> String { "--- failoverd stderr (\(stderrPath)):\n" + tailOfFile(stderrPath) }

    /// SIGTERM, then SIGKILL after 3 s; removes the temporary folder.
    func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(3)
            while process.isRunning, Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        folder.remove()
    }
}
