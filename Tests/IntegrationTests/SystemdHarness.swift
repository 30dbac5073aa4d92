import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A Unix datagram socket standing in for systemd's NOTIFY_SOCKET.
final class NotifyListener {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = UnixSocket.bound(path, type: Int32(SOCK_DGRAM.rawValue))
        guard fd >= 0 else { throw ClientError.errno("bind \(path)") }
    }

    deinit { close(fd) }

    /// The next notification, or nil after `timeout` seconds.
    func next(timeout: Double) -> String? {
        guard waitReadable(fd, timeout: timeout) else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// Waits for a notification containing `text`; returns those seen before it.
    func wait(for text: String, timeout: Double) -> (found: String?, seen: [String]) {
        let deadline = Date().addingTimeInterval(timeout)
        var seen: [String] = []
        while Date() < deadline {
            guard let message = next(timeout: deadline.timeIntervalSinceNow) else { break }
            if message.contains(text) { return (message, seen) }
            seen.append(message)
        }
        return (nil, seen)
    }
}

/// A process with its own environment and output captured to a file.
final class LaunchedProcess {
    let process = Process()
    let logPath: String

    init(executable: String, arguments: [String], environment: [String: String], logPath: String) throws {
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for key in ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC", "JOURNAL_STREAM"] {
            env[key] = nil
        }
        env.merge(environment) { $1 }
        process.environment = env
        let log = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    var log: String { "--- log (\(logPath)):\n" + tailOfFile(logPath, lines: 60) }
}

/// A minimal failoverd config in a folder, for tests that launch it themselves.
func writeConfig(_ folder: TemporaryFolder, port: UInt16, zonePath: String, extra: String = "") throws -> String {
    try folder.write("failoverd.yaml", """
        listen: ["127.0.0.1:\(port)"]
        zone:
          origin: example.test
          file: \(zonePath)
        udp:
          workers: 2
        state-dir: \(folder.path)/state
        control:
          socket: \(folder.path)/control.sock
        \(extra)
        """)
}

/// The package root, for scripts and units.
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()
