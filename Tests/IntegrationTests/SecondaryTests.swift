import DNSWire
import FailoverControl
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// failoverd as a hidden primary for real NSD and Knot secondaries:
    /// AXFR at start, NOTIFY + IXFR for every change, TSIG everywhere.
    @Suite struct SecondaryTests {
        static let secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I="
        static let zone = """
            $TTL 300
            @ IN SOA ns1 hostmaster 100 7200 3600 1209600 300
            @ IN NS ns1
            ns1 IN A 192.0.2.1

            """

        /// A Knot secondary pulling example.test from the primary.
        static func startKnot(folder: TemporaryFolder, port: UInt16, primary: UInt16) throws -> LaunchedProcess {
            let dir = folder.path + "/knot"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let config = try folder.write("knot.conf", """
                server:
                    rundir: "\(dir)"
                    listen: 127.0.0.1@\(port)
                    udp-workers: 1
                    tcp-workers: 1
                    background-workers: 1
                database:
                    storage: "\(dir)"
                log:
                  - target: stderr
                    any: info
                key:
                  - id: xfr
                    algorithm: hmac-sha256
                    secret: \(secret)
                remote:
                  - id: primary
                    address: 127.0.0.1@\(primary)
                    key: xfr
                acl:
                  - id: from_primary
                    address: 127.0.0.1
                    key: xfr
                    action: notify
                zone:
                  - domain: example.test
                    master: primary
                    acl: from_primary
                    file: "\(dir)/example.test.zone"
                    zonefile-sync: -1
                """)
            return try LaunchedProcess(executable: try locateTool("knotd"), arguments: ["-c", config],
                                       environment: [:], logPath: folder.path + "/knot.log")
        }

        /// An NSD secondary pulling example.test from the primary.
        static func startNSD(folder: TemporaryFolder, port: UInt16, primary: UInt16) throws -> LaunchedProcess {
            let dir = folder.path + "/nsd"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let config = try folder.write("nsd.conf", NSDProcess.serverSection(port: port, directory: dir, verbosity: 2) + """
                key:
                  name: xfr
                  algorithm: hmac-sha256
                  secret: "\(secret)"
                zone:
                  name: example.test
                  zonefile: "\(dir)/example.test.zone"
                  request-xfr: 127.0.0.1@\(primary) xfr
                  allow-notify: 127.0.0.1 xfr
                """)
            let check = try runTool(try locateTool("nsd-checkconf"), [config])
            guard check.status == 0 else { throw ClientError("nsd-checkconf: \(check.stdout)\(check.stderr)") }
            return try LaunchedProcess(executable: try locateTool("nsd"), arguments: ["-d", "-c", config],
                                       environment: [:], logPath: folder.path + "/nsd-stderr.log")
        }

        static func serial(at server: Endpoint) -> UInt32? {
            guard let reply = try? ask(QuerySpec(name: "example.test", type: .soa), at: server, timeout: 0.5),
                let soa = reply.answers.first(where: { $0.type == .soa }), soa.rdata.count >= 20
            else { return nil }
            let at = soa.rdata.count - 20
            return UInt32(soa.rdata[at]) << 24 | UInt32(soa.rdata[at + 1]) << 16 | UInt32(soa.rdata[at + 2]) << 8
                | UInt32(soa.rdata[at + 3])
        }

        /// Polls until `check` holds for the server; the seconds it took, or nil.
        static func waitUntil(_ server: Endpoint, timeout: Double, _ check: (Message) -> Bool, query: QuerySpec)
            -> Double?
        {
            let start = Date()
            while Date().timeIntervalSince(start) < timeout {
                if let reply = try? ask(query, at: server, timeout: 0.3), check(reply) {
                    return Date().timeIntervalSince(start)
                }
                usleep(10_000)
            }
            return nil
        }

        @Test("NSD and Knot secondaries follow changes and switches through NOTIFY and IXFR, catch up after downtime, and keyless or wrong-key transfers are refused")
        func secondariesFollow() throws {
            let knotPort = FreePort.find()
            let nsdPort = FreePort.find()
            let daemon = try DaemonProcess(zone: Self.zone, extraConfig: """
                tsig-keys:
                  - name: xfr
                    algorithm: hmac-sha256
                    secret: "\(Self.secret)"
                transfer:
                  allow:
                    - address: 127.0.0.1
                      key: xfr
                  pending-ttl: 3
                notify:
                  - address: "127.0.0.1:\(knotPort)"
                    key: xfr
                  - address: "127.0.0.1:\(nsdPort)"
                    key: xfr
                """, label: "primary")
            defer { daemon.stop() }
            let client = try ControlClient(socketPath: daemon.controlSocket, timeout: 10)
            _ = try client.call(op: .appPut, args: ["app": "shop", "name": "Shop", "web_head": ["hostname": "lb-1.example.net"]])
            _ = try client.call(op: .appPut, args: ["app": "dr", "name": "DR", "web_head": ["addresses": ["192.0.2.10"]]])
            _ = try client.call(op: .groupCreate, args: ["address": "414-262-781", "primary": "shop", "backup": "dr"])

            let folder = try TemporaryFolder("secondaries")
            defer { folder.remove() }
            let knot = try Self.startKnot(folder: folder, port: knotPort, primary: daemon.port)
            defer { knot.stop() }
            var nsd = try Self.startNSD(folder: folder, port: nsdPort, primary: daemon.port)
            defer { nsd.stop() }
            let secondaries = [("knot", Endpoint(host: "127.0.0.1", port: knotPort), { knot.log }),
                               ("nsd", Endpoint(host: "127.0.0.1", port: nsdPort), { nsd.log + tailOfFile(folder.path + "/nsd/nsd.log") })]
            let group = QuerySpec(name: "414-262-781.example.test", type: .a)

            // Initial transfer.
            let primarySerial = try #require(Self.serial(at: daemon.ipv4))
            for (name, server, log) in secondaries {
                let took = Self.waitUntil(server, timeout: 15, { $0.answers.first?.type == .cname }, query: group)
                #expect(took != nil, Comment(rawValue: "\(name) never served the group\n\(log())"))
                #expect(Self.serial(at: server) == primarySerial, "\(name) serial")
            }

            // A topology change reaches both through NOTIFY and IXFR.
            _ = try client.call(op: .appPut, args: ["app": "shop", "name": "Shop", "web_head": ["hostname": "lb-2.example.net"]])
            let lb2: [UInt8] = try DomainName("lb-2.example.net").wire
            for (name, server, log) in secondaries {
                let took = Self.waitUntil(server, timeout: 5, { $0.answers.first?.rdata == lb2 }, query: group)
                print("[secondaries] topology change reached \(name) in \(took.map { "\(Int($0 * 1000)) ms" } ?? "never")")
                #expect(took != nil && took! < 2, Comment(rawValue: "\(name)\n\(log())"))
            }

            // A scheduled switch: pending TTL reaches them, then the backup's address after due.
            let switched = try client.call(op: .groupSwitch, args: ["address": "414-262-781", "to": "backup", "delay_seconds": 1.5])
            let dueText = try #require(switched["group"]?["pending"]?["due"]?.stringValue)
            let dueMilliseconds = try #require(RFC3339.milliseconds(from: dueText))
            let due = Date(timeIntervalSince1970: Double(dueMilliseconds) / 1000)
            for (name, server, _) in secondaries {
                let pendingTTL = Self.waitUntil(server, timeout: 3, { $0.answers.first?.ttl == 3 }, query: group)
                #expect(pendingTTL != nil, "\(name) did not get the pending-switch TTL cap")
            }
            for (name, server, log) in secondaries {
                _ = Self.waitUntil(server, timeout: 6, { $0.answers.first?.rdata == [192, 0, 2, 10] }, query: group)
                let late = Date().timeIntervalSince(due)
                print("[secondaries] switch served by \(name) \(Int(late * 1000)) ms after due")
                #expect(late < 2, Comment(rawValue: "\(name)\n\(log())"))
            }

            // NSD down during 1,000 changes, then back: it catches up.
            nsd.stop()
            for index in 0..<1000 {
                _ = try client.call(op: .appPut, args: ["app": "shop", "name": "Shop",
                                                        "web_head": ["hostname": .string("lb-\(index).example.net")]])
            }
            _ = try client.call(op: .groupSwitch, args: ["address": "414-262-781", "to": "primary", "delay_seconds": 0])
            let finalSerial = try #require(Self.serial(at: daemon.ipv4))
            nsd = try Self.startNSD(folder: folder, port: nsdPort, primary: daemon.port)
            let lb999: [UInt8] = try DomainName("lb-999.example.net").wire
            let nsdServer = Endpoint(host: "127.0.0.1", port: nsdPort)
            let caughtUp = Self.waitUntil(nsdServer, timeout: 20, { $0.answers.first?.rdata == lb999 }, query: group)
            print("[secondaries] NSD caught up with 1,001 changes in \(caughtUp.map { "\(Int($0 * 1000)) ms" } ?? "never") after restart")
            #expect(caughtUp != nil, Comment(rawValue: nsd.log + tailOfFile(folder.path + "/nsd/nsd.log")))
            #expect(Self.serial(at: nsdServer) == finalSerial)
            let knotServer = Endpoint(host: "127.0.0.1", port: knotPort)
            #expect(Self.waitUntil(knotServer, timeout: 5, { $0.answers.first?.rdata == lb999 }, query: group) != nil)

            // Refusals: no key, wrong key.
            let kdig = try locateTool("kdig")
            let unsigned = try runTool(kdig, ["@127.0.0.1", "-p", "\(daemon.port)", "+tcp", "AXFR", "example.test"])
            #expect(unsigned.stdout.contains("REFUSED") || unsigned.stderr.contains("REFUSED"),
                    Comment(rawValue: unsigned.stdout + unsigned.stderr))
            let wrong = try runTool(kdig, ["@127.0.0.1", "-p", "\(daemon.port)", "+tcp", "AXFR", "example.test",
                                           "-y", "hmac-sha256:xfr:d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3I="])
            #expect((wrong.stdout + wrong.stderr).contains("BADSIG"), Comment(rawValue: wrong.stdout + wrong.stderr))
            let unknownKey = try runTool(kdig, ["@127.0.0.1", "-p", "\(daemon.port)", "+tcp", "AXFR", "example.test",
                                                "-y", "hmac-sha256:other:\(Self.secret)"])
            #expect((unknownKey.stdout + unknownKey.stderr).contains("BADKEY"), Comment(rawValue: unknownKey.stdout + unknownKey.stderr))
            let good = try runTool(kdig, ["@127.0.0.1", "-p", "\(daemon.port)", "+tcp", "AXFR", "example.test",
                                          "-y", "hmac-sha256:xfr:\(Self.secret)"])
            #expect(good.stdout.contains("414-262-781.example.test.") && good.stdout.contains("TSIG"),
                    Comment(rawValue: good.stdout + good.stderr))
        }
    }
}

