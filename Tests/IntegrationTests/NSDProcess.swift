import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An unprivileged NSD in the foreground on a loopback port, serving one zone.
final class NSDProcess {
    let folder: TemporaryFolder
    let port: UInt16
    let origin: String
    let logPath: String
    private let process = Process()

    var endpoint: Endpoint { Endpoint(host: "127.0.0.1", port: port) }

    /// NSD's `server:` clause for a test instance on a loopback port, with
    /// every file in `directory`, and no remote control (its fixed port 8952
    /// would collide with any other NSD on the machine). Debian's NSD
    /// rate-limits by default; loopback tests need it off.
    static func serverSection(port: UInt16, directory dir: String, verbosity: Int) -> String {
        """
        server:
          ip-address: 127.0.0.1@\(port)
          port: \(port)
          username: ""
          chroot: ""
          zonesdir: "\(dir)"
          pidfile: "\(dir)/nsd.pid"
          database: ""
          xfrdfile: "\(dir)/xfrd.state"
          xfrdir: "\(dir)"
          zonelistfile: "\(dir)/zone.list"
          rrl-ratelimit: 0
          rrl-whitelist-ratelimit: 0
          verbosity: \(verbosity)
          server-count: 1
          logfile: "\(dir)/nsd.log"
        remote-control:
          control-enable: no

        """
    }

    init(zone: String, origin: String = "example.test") throws {
        let nsd = try locateTool("nsd")
        let checkconf = try locateTool("nsd-checkconf")
        folder = try TemporaryFolder("nsd")
        port = FreePort.find()
        self.origin = origin
        let dir = folder.path
        let zonePath = try folder.write("zone.db", zone)
        let config = try folder.write("nsd.conf", Self.serverSection(port: port, directory: dir, verbosity: 0) + """
            zone:
              name: \(origin)
              zonefile: "\(zonePath)"

            """)
        let check = try runTool(checkconf, [config])
        guard check.status == 0 else {
            throw ClientError("nsd-checkconf rejects the test config: \(check.stdout)\(check.stderr)")
        }
        logPath = dir + "/nsd.stderr"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let handle = FileHandle(forWritingAtPath: logPath)
        process.executableURL = URL(fileURLWithPath: nsd)
        process.arguments = ["-d", "-c", config]
        process.standardError = handle
        process.standardOutput = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        let query = QuerySpec(name: origin, type: .soa, id: 0x0BAD).bytes()
        while Date() < deadline {
            guard process.isRunning else {
                let log = log()
                folder.remove()
                throw ClientError("nsd exited with status \(process.terminationStatus):\n\(log)")
            }
            if let client = try? UDPClient(server: endpoint), let reply = try? client.exchange(query, timeout: 0.2),
                reply.count > 3, reply[3] & 0x0F == 0
            {
                return
            }
            usleep(50_000)
        }
        let log = log()
        stop()
        throw ClientError("nsd did not answer on \(endpoint) within 10 s:\n\(log)")
    }

    func log() -> String {
        "--- nsd output:\n" + tailOfFile(logPath) + "\n--- nsd.log:\n" + tailOfFile(folder.path + "/nsd.log")
    }

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
