import FailoverControl
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A web server for the health-check tests: python's http.server (plain, or wrapped in TLS with a
/// certificate) on a loopback address, started and stopped at will.
final class TestWebServer {
    let host: String
    let port: UInt16
    private let tls: (cert: String, key: String)?
    private let serverNames: [String]
    private var process: Process?

    /// With `serverNames`, a TLS handshake whose SNI is not one of them is refused (no SNI: refused too).
    init(host: String, port: UInt16, tls: (cert: String, key: String)? = nil, serverNames: [String] = []) throws {
        self.host = host
        self.port = port
        self.tls = tls
        self.serverNames = serverNames
        try start()
    }

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        if let tls {
            process.arguments = ["-c", """
                import http.server, ssl, sys
                server = http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), http.server.SimpleHTTPRequestHandler)
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(sys.argv[3], sys.argv[4])
                names = [name for name in sys.argv[5].split(",") if name]
                if names:
                    def pick(connection, name, ctx):
                        return None if name in names else ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
                    context.sni_callback = pick
                server.socket = context.wrap_socket(server.socket, server_side=True)
                server.serve_forever()
                """, host, "\(port)", tls.cert, tls.key, serverNames.joined(separator: ",")]
        } else {
            process.arguments = ["-m", "http.server", "--bind", host, "\(port)"]
        }
        process.currentDirectoryURL = URL(fileURLWithPath: NSTemporaryDirectory())
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Listening within 5 s, or the test cannot mean anything.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if Self.accepts(host: host, port: port) { return }
            usleep(50_000)
        }
        throw ClientError("web server on \(host):\(port) did not start")
    }

    func stop() {
        guard let process else { return }
        // SIGKILL: the test runner may ignore SIGTERM, and a child inherits an ignored signal.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    deinit { stop() }

    static func accepts(host: String, port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// Waits up to `seconds` for `condition`, polling every 100 ms; returns the seconds it took, nil on timeout.
@discardableResult
func waitFor(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Double? {
    let start = Date()
    while Date().timeIntervalSince(start) < seconds {
        if try condition() { return Date().timeIntervalSince(start) }
        usleep(100_000)
    }
    return try condition() ? Date().timeIntervalSince(start) : nil
}

extension DaemonProcess {
    /// The address the group's A record points at now (nil: no A answer).
    func groupAddress(_ group: String) throws -> String? {
        try dig("\(group).\(origin).", "A").answers(ofType: "A").first?.last
    }
}

extension ControlClient {
    /// The combined health state of `app` (`up`, `down`, `unknown`; nil when nobody checks it).
    func healthState(_ app: String) throws -> String? {
        try call(op: .appGet, args: ["app": .string(app)])["health"]?["state"]?.stringValue
    }
}
