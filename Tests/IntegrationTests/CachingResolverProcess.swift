import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An unprivileged caching resolver in the foreground on a loopback port,
/// whose only upstream is the daemon: Unbound (through a stub zone) or BIND's
/// named (forward-only). Both keep time in whole seconds, which is what the
/// TTL countdown of a pending switch must beat.
final class CachingResolverProcess {
    enum Kind: String, CaseIterable, Sendable {
        case unbound, bind
    }

    let kind: Kind
    let folder: TemporaryFolder
    let port: UInt16
    let logPath: String
    private let process = Process()

    var endpoint: Endpoint { Endpoint(host: "127.0.0.1", port: port) }

    /// Unbound: cache kept (no minimum TTL), no validator (no trust anchor to
    /// fetch), no remote control; the zone made transparent, as Unbound
    /// answers names under special-use domains (test.) itself. Every query
    /// outside the stub zone goes to the daemon too (which refuses it), and
    /// queries leave from 127.0.0.1, so Unbound never sends to an address off
    /// this machine.
    static func unboundConfig(port: UInt16, upstream: Endpoint, zone: String, directory dir: String) -> String {
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

    /// BIND: recursion forwarded only to the daemon for every name (so it
    /// never primes from the root servers), sent from 127.0.0.1, no
    /// validation, no minimum cache TTL, no stale answers, no prefetch, no
    /// control channel; the empty zones BIND serves itself are off.
    static func bindConfig(port: UInt16, upstream: Endpoint, directory dir: String) -> String {
        """
        options {
          directory "\(dir)";
          pid-file none;
          listen-on port \(port) { 127.0.0.1; };
          listen-on-v6 { none; };
          query-source address 127.0.0.1;
          recursion yes;
          allow-recursion { 127.0.0.0/8; };
          forward only;
          forwarders { \(upstream.host) port \(upstream.port); };
          dnssec-validation no;
          min-cache-ttl 0;
          prefetch 0;
          stale-answer-enable no;
          empty-zones-enable no;
          notify no;
        };
        controls { };

        """
    }

    init(_ kind: Kind, upstream: Endpoint, zone: String) throws {
        self.kind = kind
        folder = try TemporaryFolder(kind.rawValue)
        port = FreePort.find()
        let executable: String
        let arguments: [String]
        switch kind {
        case .unbound:
            executable = try locateTool("unbound")
            let configPath = try folder.write("unbound.conf", Self.unboundConfig(port: port, upstream: upstream,
                                                                                  zone: zone, directory: folder.path))
            try Self.check(try locateTool("unbound-checkconf"), [configPath], folder: folder)
            arguments = ["-d", "-c", configPath]
        case .bind:
            executable = try locateTool("named")
            let configPath = try folder.write("named.conf", Self.bindConfig(port: port, upstream: upstream,
                                                                            directory: folder.path))
            try Self.check(try locateTool("named-checkconf"), [configPath], folder: folder)
            // Foreground, one worker, this user, no IPv6, logging to stderr.
            arguments = ["-g", "-n", "1", "-4", "-c", configPath]
        }
        logPath = folder.path + "/\(kind.rawValue).stderr"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let handle = FileHandle(forWritingAtPath: logPath)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardError = handle
        process.standardOutput = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Ready once it answers the zone's SOA (fetched from the daemon).
        let deadline = Date().addingTimeInterval(10)
        let query = QuerySpec(name: zone, type: .soa, id: 0x0BAD, recursionDesired: true).bytes()
        while Date() < deadline {
            guard process.isRunning else {
                let log = log()
                folder.remove()
                throw ClientError("\(kind) exited with status \(process.terminationStatus):\n\(log)")
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
        throw ClientError("\(kind) did not answer on \(endpoint) within 10 s:\n\(log)")
    }

    static func check(_ checker: String, _ arguments: [String], folder: TemporaryFolder) throws {
        let check = try runTool(checker, arguments)
        guard check.status == 0 else {
            folder.remove()
            throw ClientError("\(checker) rejects the test config: \(check.stdout)\(check.stderr)")
        }
    }

    func log() -> String { "--- \(kind) output:\n" + tailOfFile(logPath) }

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
