import DNSWire
import FailoverControl
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// failoverd under systemd's protocols, with real parts standing in for
    /// PID 1: a NOTIFY_SOCKET listener, systemd-socket-activate, and
    /// systemd-analyze on the shipped units.
    @Suite struct SystemdTests {
        func soaAnswers(_ server: Endpoint, tcp: Bool = false) -> Bool {
            (try? ask(QuerySpec(name: "example.test", type: .soa, edns: 1232, tcp: tcp), at: server, timeout: 1))?
                .header.isAuthoritative == true
        }

        @Test("READY only once DNS answers; WATCHDOG while workers run and not once one stalls; RELOADING/READY on SIGHUP; STOPPING on SIGTERM")
        func notifyProtocol() throws {
            let folder = try TemporaryFolder("notify")
            defer { folder.remove() }
            let port = FreePort.find()
            let zone = try folder.write("zone.db", TestZone.text)
            let config = try writeConfig(folder, port: port, zonePath: zone)
            let listener = try NotifyListener(path: folder.path + "/notify.sock")
            let daemon = try LaunchedProcess(
                executable: try DaemonProcess.binaryPath(), arguments: ["--config", config],
                environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "600000",
                              "FAILOVERD_TEST_STALL_UDP_AFTER_MS": "4000"],
                logPath: folder.path + "/log")
            defer { daemon.stop() }
            let server = Endpoint(host: "127.0.0.1", port: port)

            let ready = listener.wait(for: "READY=1", timeout: 15)
            #expect(ready.found != nil, Comment(rawValue: daemon.log))
            #expect(ready.found?.contains("STATUS=serial") == true, Comment(rawValue: ready.found ?? ""))
            #expect(soaAnswers(server), "READY=1 came before the DNS port answered")
            #expect(daemon.log.contains("FAILOVERD_TEST_STALL_UDP_AFTER_MS=4000"), "the stall hook needs a debug build of failoverd")
            #expect(soaAnswers(server, tcp: true))

            // Watchdog pings arrive about every 200 ms (a third of 600 ms).
            var pings = 0
            let until = Date().addingTimeInterval(1.5)
            while Date() < until { if listener.next(timeout: 0.3)?.contains("WATCHDOG=1") == true { pings += 1 } }
            #expect(pings >= 4, "only \(pings) WATCHDOG=1 in 1.5 s")

            daemon.signal(SIGHUP)
            let reloading = listener.wait(for: "RELOADING=1", timeout: 5)
            #expect(reloading.found != nil, Comment(rawValue: daemon.log))
            #expect(listener.wait(for: "READY=1", timeout: 5).found != nil)

            // The test hook stalls UDP worker 0 four seconds after start: pings stop.
            let stallDeadline = Date().addingTimeInterval(6)
            var lastPing = Date()
            while Date() < stallDeadline {
                if listener.next(timeout: 0.2)?.contains("WATCHDOG=1") == true { lastPing = Date() }
            }
            #expect(Date().timeIntervalSince(lastPing) > 1.5, "WATCHDOG=1 kept coming after a worker stalled")
            #expect(daemon.log.contains("withholding the watchdog ping"))

            daemon.signal(SIGTERM)
            #expect(listener.wait(for: "STOPPING=1", timeout: 5).found != nil, Comment(rawValue: daemon.log))
        }

        @Test("Answers over UDP and TCP sockets passed by systemd-socket-activate, and the control socket too")
        func socketActivation() throws {
            let activate = try locateTool("systemd-socket-activate")
            let folder = try TemporaryFolder("activate")
            defer { folder.remove() }
            let zone = try folder.write("zone.db", TestZone.text)
            // The config's own listen port stays unused: the passed sockets win.
            let config = try writeConfig(folder, port: FreePort.find(), zonePath: zone)

            let udpPort = FreePort.find()
            let udp = try LaunchedProcess(
                executable: activate,
                arguments: ["--datagram", "-l", "127.0.0.1:\(udpPort)", "--fdname=dns-udp",
                            try DaemonProcess.binaryPath(), "--config", config],
                environment: [:], logPath: folder.path + "/udp.log")
            defer { udp.stop() }
            let udpServer = Endpoint(host: "127.0.0.1", port: udpPort)
            var answered = false
            for _ in 0..<50 where !answered {
                answered = soaAnswers(udpServer)
                if !answered { usleep(100_000) }
            }
            #expect(answered, Comment(rawValue: udp.log))
            let www = try ask(QuerySpec(name: "www.example.test", type: .a, edns: 1232), at: udpServer)
            #expect(www.responseCode == .noError && www.header.isAuthoritative && !www.answers.isEmpty)
            #expect(udp.log.contains("socket activation: dns-udp"), Comment(rawValue: udp.log))
            udp.stop()

            let tcpPort = FreePort.find()
            let control = folder.path + "/activated.sock"
            // Without capabilities, as the installed unit runs it (CapabilityBoundingSet= empty):
            // a root test run would otherwise hide an option only CAP_NET_ADMIN may set.
            let withoutCapabilities = getuid() == 0 ? [try locateTool("setpriv"), "--bounding-set=-all", "--inh-caps=-all"] : []
            let tcp = try LaunchedProcess(
                executable: activate,
                arguments: ["-l", "127.0.0.1:\(tcpPort)", "--fdname=dns-tcp", "-l", control, "--fdname=control"]
                    + withoutCapabilities + [try DaemonProcess.binaryPath(), "--config", config],
                environment: [:], logPath: folder.path + "/tcp.log")
            defer { tcp.stop() }
            let tcpServer = Endpoint(host: "127.0.0.1", port: tcpPort)
            answered = false
            for _ in 0..<50 where !answered {
                answered = soaAnswers(tcpServer, tcp: true)
                if !answered { usleep(100_000) }
            }
            #expect(answered, Comment(rawValue: tcp.log))
            let wwwTCP = try ask(QuerySpec(name: "www.example.test", type: .a, edns: 1232, tcp: true), at: tcpServer)
            #expect(wwwTCP.responseCode == .noError && wwwTCP.header.isAuthoritative && !wwwTCP.answers.isEmpty)
            // The control socket passed by systemd answers too.
            let hello = try ControlClient(socketPath: control, timeout: 5).call(op: .hello, args: [:])
            #expect(hello["protocol"]?.int64Value == 1, Comment(rawValue: "\(hello)"))
            var logged = false
            for _ in 0..<40 where !logged {
                logged = tcp.log.contains("control socket at fd")
                if !logged { usleep(50_000) }
            }
            #expect(logged, Comment(rawValue: tcp.log))
        }

        @Test("SIGHUP swaps in a changed zone without losing a query; a broken zone keeps the old data")
        func reloadUnderLoad() throws {
            let folder = try TemporaryFolder("reload")
            defer { folder.remove() }
            let port = FreePort.find()
            let zonePath = try folder.write("zone.db", TestZone.text)
            let config = try writeConfig(folder, port: port, zonePath: zonePath)
            let daemon = try LaunchedProcess(executable: try DaemonProcess.binaryPath(), arguments: ["--config", config],
                                             environment: [:], logPath: folder.path + "/log")
            defer { daemon.stop() }
            let server = Endpoint(host: "127.0.0.1", port: port)
            for _ in 0..<100 where !soaAnswers(server) { usleep(50_000) }

            let newName = QuerySpec(name: "added-by-reload.example.test", type: .a, edns: 1232)
            #expect(try ask(newName, at: server).responseCode == .nxDomain)

            // A steady stream of queries while the zone is replaced and reloaded.
            let client = try UDPClient(server: server)
            var sent = 0
            var lost = 0
            var reloaded = false
            let start = Date()
            while Date().timeIntervalSince(start) < 3 {
                if !reloaded, Date().timeIntervalSince(start) > 1 {
                    _ = try folder.write("zone.db", TestZone.text + "added-by-reload IN A 192.0.2.77\n")
                    daemon.signal(SIGHUP)
                    reloaded = true
                }
                var query = QuerySpec(name: "www.example.test", type: .a, edns: 1232)
                query.id = UInt16(truncatingIfNeeded: sent)
                sent += 1
                if (try? client.exchange(query.bytes(), timeout: 1)) == nil { lost += 1 }
            }
            print("reload under load: \(sent) queries, \(lost) lost")
            #expect(lost == 0, "\(lost) of \(sent) queries lost during reload")
            var served = false
            for _ in 0..<40 where !served {
                served = (try? ask(newName, at: server))?.answers.first?.rdata == [192, 0, 2, 77]
                if !served { usleep(50_000) }
            }
            #expect(served, Comment(rawValue: daemon.log))

            _ = try folder.write("zone.db", "this is not a zone file {\n")
            daemon.signal(SIGHUP)
            var refused = false
            for _ in 0..<40 where !refused {
                refused = daemon.log.contains("reload refused")
                if !refused { usleep(50_000) }
            }
            #expect(refused, Comment(rawValue: daemon.log))
            #expect(try ask(newName, at: server).answers.first?.rdata == [192, 0, 2, 77], "old data must stay")
            #expect(daemon.process.isRunning)
        }

        @Test("The shipped units pass systemd-analyze verify, and the service's exposure is 2.0 or lower")
        func unitsVerifyAndAreHardened() throws {
            let analyze = try locateTool("systemd-analyze")
            let folder = try TemporaryFolder("units")
            defer { folder.remove() }
            let binDirectory = (try DaemonProcess.binaryPath() as NSString).deletingLastPathComponent
            let render = try runTool(packageRoot + "/scripts/render-units",
                                     [folder.path, binDirectory, packageRoot + "/config", "/usr/share/doc/failoverd"])
            #expect(render.status == 0, Comment(rawValue: render.stderr))
            let units = ["failoverd.service", "failoverd.socket", "failoverd-control.socket"].map { folder.path + "/" + $0 }
            // The man pages the units name are installed by the package, not on a build machine.
            let verify = try runTool(analyze, ["verify", "--man=no"] + units)
            #expect(verify.status == 0, Comment(rawValue: verify.stdout + verify.stderr))
            let security = try runTool(analyze, ["security", "--offline=true", units[0]])
            let line = security.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") } ?? ""
            let score = line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }
            print("systemd-analyze security: \(line)")
            #expect(score != nil, Comment(rawValue: security.stdout + security.stderr))
            #expect((score ?? 10) <= 2.0, Comment(rawValue: String(line)))
        }
    }
}
