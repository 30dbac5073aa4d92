import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An unprivileged Unbound in the foreground on a loopback port: a caching
/// resolver whose only upstream is the daemon, through a stub zone.
final class UnboundProcess {
    let folder: TemporaryFolder
    let port: UInt16
    let logPath: String
    private let process = Process()

    var endpoint: Endpoint { Endpoint(host: "127.0.0.1", port: port) }

    /// The config: cache kept (no minimum TTL), no validator (no trust
    /// anchor to fetch), no remote control; the zone made transparent, as
    /// Unbound answers names under special-use domains (test.) itself. Every query outside the stub zone
    /// goes to the daemon too (which refuses it), and queries leave from
    /// 127.0.0.1, so Unbound never sends to an address off this machine.
    static func config(port: UInt16, upstream: Endpoint, zone: String, directory dir: String) -> String {
        """
        server:
          interface: 127.0.0.1@\(port)
          port: \(port)
          outgoing-interface: 127.0.0.1
          do-ip6: no
          do-not-query-localhost: no
          chroot: ""
          username: ""
          pidfile: ""
          directory: "\(dir)"
          logfile: ""
          use-syslog: no
          verbosity: 1
          num-threads: 1
          module-config: "iterator"
          qname-minimisation: no
          cache-min-ttl: 0
          prefetch: no
          serve-expired: no
          local-zone: "\(zone)." transparent
        remote-control:
          control-enable: no
        stub-zone:
          name: "\(zone)"
          stub-addr: \(upstream.host)@\(upstream.port)
        forward-zone:
          name: "."
          forward-addr: \(upstream.host)@\(upstream.port)

        """
    }

    init(upstream: Endpoint, zone: String) throws {
        let unbound = try locateTool("unbound")
        let checkconf = try locateTool("unbound-checkconf")
        folder = try TemporaryFolder("unbound")
        port = FreePort.find()
        let configPath = try folder.write("unbound.conf",
                                          Self.config(port: port, upstream: upstream, zone: zone, directory: folder.path))
        let check = try runTool(checkconf, [configPath])
        guard check.status == 0 else {
            folder.remove()
            throw ClientError("unbound-checkconf rejects the test config: \(check.stdout)\(check.stderr)")
        }
        logPath = folder.path + "/unbound.stderr"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let handle = FileHandle(forWritingAtPath: logPath)
        process.executableURL = URL(fileURLWithPath: unbound)
        process.arguments = ["-d", "-c", configPath]
        process.standardError = handle
        process.standardOutput = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Ready once it answers the zone's SOA (fetched through the stub).
        let deadline = Date().addingTimeInterval(10)
        let query = QuerySpec(name: zone, type: .soa, id: 0x0BAD, recursionDesired: true).bytes()
        while Date() < deadline {
            guard process.isRunning else {
                let log = log()
                folder.remove()
                throw ClientError("unbound exited with status \(process.terminationStatus):\n\(log)")
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
        throw ClientError("unbound did not answer on \(endpoint) within 10 s:\n\(log)")
    }

    func log() -> String { "--- unbound output:\n" + tailOfFile(logPath) }

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
