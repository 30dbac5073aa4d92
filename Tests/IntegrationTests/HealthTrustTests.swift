import FailoverControl
import Foundation
import Testing

extension Integration {
    /// HTTPS checks that verify: a test CA made here with the openssl CLI, trusted through `health.ca-file`;
    /// servers that refuse a handshake without the expected SNI.
    @Suite struct HealthTrustTests {
        /// A CA and a server certificate for `name` signed by it, in `folder`; returns (CA, cert, key) paths.
        static func makeCA(_ label: String, in folder: TemporaryFolder, serverName name: String) throws
            -> (ca: String, cert: String, key: String)
        {
            let base = folder.path + "/" + label
            let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
            let extensions = try folder.write("\(label).ext", "subjectAltName=DNS:\(name)\nextendedKeyUsage=serverAuth\n")
            for arguments in [
                ["req", "-x509"] + ec + ["-keyout", base + "-ca.key", "-out", base + "-ca.pem", "-days", "1",
                 "-subj", "/CN=failoverd test CA \(label)", "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign"],
                ["req"] + ec + ["-keyout", base + ".key", "-out", base + ".csr", "-subj", "/CN=\(name)"],
                ["x509", "-req", "-in", base + ".csr", "-CA", base + "-ca.pem", "-CAkey", base + "-ca.key",
                 "-set_serial", "2", "-days", "1", "-out", base + ".pem", "-extfile", extensions],
            ] {
                let result = try FaultSupport.run("/usr/bin/openssl", arguments)
                try #require(result.status == 0, "openssl \(arguments.joined(separator: " ")): \(result.output)")
            }
            return (base + "-ca.pem", base + ".pem", base + ".key")
        }

        @Test("https: a certificate of the CA in health.ca-file passes; a wrong host, an untrusted CA fail; insecure passes")
        func privateCA() throws {
            let folder = try TemporaryFolder("health-ca")
            defer { folder.remove() }
            let trusted = try Self.makeCA("trusted", in: folder, serverName: "shop.example.test")
            let other = try Self.makeCA("other", in: folder, serverName: "shop.example.test")
            let port = FreePort.find()
            // SNI must name the site (or another name the test asks for): a check without SNI cannot pass here.
            let good = try TestWebServer(host: "127.0.0.2", port: port, tls: (trusted.cert, trusted.key),
                                         serverNames: ["shop.example.test", "www.example.test"])
            let untrusted = try TestWebServer(host: "127.0.0.3", port: port, tls: (other.cert, other.key),
                                              serverNames: ["shop.example.test"])
            defer { good.stop(); untrusted.stop() }
            let daemon = try DaemonProcess(zone: ControlZone.text, extraConfig: "health:\n  ca-file: \(trusted.ca)",
                                           label: "health-ca")
            defer { daemon.stop() }
            let client = try daemon.control()
            let apps: [(String, String, [String: JSONValue])] = [
                ("verified", "127.0.0.2", ["host": "shop.example.test"]),
                // The server accepts the SNI, but the certificate does not name it: hostname verification fails.
                ("wrong-name", "127.0.0.2", ["host": "www.example.test"]),
                // No host: no SNI for an address, so the server refuses the handshake.
                ("no-host", "127.0.0.2", [:]),
                ("untrusted", "127.0.0.3", ["host": "shop.example.test"]),
                ("untrusted-insecure", "127.0.0.3", ["host": "shop.example.test", "insecure": true]),
            ]
            for (app, address, extra) in apps {
                _ = try client.call(op: .appPut, args: [
                    "app": .string(app), "name": .string(app), "web_head": ["addresses": [.string(address)]],
                    "health_check": HealthCheckTests.check("https", port: port, extra: extra),
                ])
            }
            try HealthCheckTests.waitUp(client, "verified", "untrusted-insecure")
            for app in ["wrong-name", "no-host", "untrusted"] {
                let down = try waitFor(6) { try client.healthState(app) == "down" }
                let info = try client.call(op: .appGet, args: ["app": .string(app)])
                #expect(down != nil, "\(app): \(info)")
                let error = info["health"]?["checkers"]?["local"]?["addresses"]?.arrayValue?.first?["error"]?
                    .stringValue ?? ""
                #expect(error.contains("TLS"), "\(app): \(info)")
            }
            // Still up after the others went down: the trusted one never failed.
            #expect(try client.healthState("verified") == "up")
        }

        @Test("health.ca-file that cannot be read refuses the start, naming the file")
        func missingCAFile() throws {
            let folder = try TemporaryFolder("health-ca-missing")
            defer { folder.remove() }
            let config = try writeConfig(folder, port: FreePort.find(), zonePath: try folder.write("zone.db", TestZone.text),
                                         extra: "health:\n  ca-file: \(folder.path)/missing.pem")
            let (status, log) = try StartupFaultTests().runToExit(config: config, folder: folder)
            #expect(status == 2, Comment(rawValue: log))
            #expect(log.contains("health.ca-file \(folder.path)/missing.pem"), Comment(rawValue: log))
        }
    }
}
