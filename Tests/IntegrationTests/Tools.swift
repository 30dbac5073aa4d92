import Foundation

/// How to get the external tools the integration tests drive.
let installHint = """
    run the README's test command, `make test`, which installs the test tools first \
    (scripts/ensure-packages test: bind9-dnsutils, knot-dnsutils, nsd, knot, unbound, bind9) and then runs the tests
    """

struct ToolMissing: Error, CustomStringConvertible {
    var tool: String
    var description: String { "\(tool) is not installed or not on PATH: \(installHint)" }
}

/// Finds an executable on PATH (plus the sbin folders, where nsd and knotd live).
func locateTool(_ name: String) throws -> String {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    let folders = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/local/sbin"]
    for folder in folders {
        let candidate = folder + "/" + name
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw ToolMissing(tool: name)
}

/// The result of running a program to completion.
struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program with arguments, waiting at most `timeout` seconds.
func runTool(_ executable: String, _ arguments: [String], timeout: Double = 20) throws -> RunResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read both pipes while the process runs so a full pipe cannot block it.
    let outData = LockedData()
    let errData = LockedData()
    let group = DispatchGroup()
    for (pipe, sink) in [(out, outData), (err, errData)] {
        group.enter()
        DispatchQueue.global().async {
            sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
            group.leave()
        }
    }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning, Date() < deadline { usleep(5_000) }
    if process.isRunning {
        process.terminate()
        process.waitUntilExit()
        _ = group.wait(timeout: .now() + 2)
        throw ClientError("\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
    }
    process.waitUntilExit()
    _ = group.wait(timeout: .now() + 5)
    return RunResult(status: process.terminationStatus,
                     stdout: String(decoding: outData.get(), as: UTF8.self),
                     stderr: String(decoding: errData.get(), as: UTF8.self))
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.withLock { data = value } }
    func get() -> Data { lock.withLock { data } }
}

/// A fresh temporary folder, removed by `remove()`.
struct TemporaryFolder {
    let path: String

    init(_ label: String) throws {
        path = NSTemporaryDirectory() + "failoverd-it-\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Tail of a log file for failure messages.
func tailOfFile(_ path: String, lines: Int = 40) -> String {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "(no log at \(path))" }
    let all = text.split(separator: "\n", omittingEmptySubsequences: false)
    return all.suffix(lines).joined(separator: "\n")
}
