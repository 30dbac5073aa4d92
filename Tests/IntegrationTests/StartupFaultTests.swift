import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// Faults at start-up: each either refuses to start with a message that
    /// names the problem, or starts and serves.
    @Suite struct StartupFaultTests {
        /// Runs failoverd until it exits (or `timeout`); returns status and log.
        func runToExit(config: String, folder: TemporaryFolder, timeout: Double = 10) throws -> (Int32?, String) {
            let process = try LaunchedProcess(executable: try DaemonProcess.binaryPath(), arguments: ["--config", config],
                                              environment: [:], logPath: folder.path + "/run-\(UUID().uuidString).log")
            let deadline = Date().addingTimeInterval(timeout)
            while process.process.isRunning, Date() < deadline { usleep(20_000) }
            if process.process.isRunning {
                process.stop()
                return (nil, process.log)
            }
            return (process.process.terminationStatus, process.log)
        }

        @Test("The DNS port in use: a clear message and a non-zero exit")
        func portInUse() throws {
            let folder = try TemporaryFolder("port-in-use")
            defer { folder.remove() }
            let port = FreePort.find()
            // Another program holds the UDP port (without SO_REUSEPORT).
            let holder = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(holder) }
            let bound = Endpoint(host: "127.0.0.1", port: port).withSockAddr { bind(holder, $0, $1) }
            #expect(bound == 0)
            let config = try writeConfig(folder, port: port, zonePath: try folder.write("zone.db", TestZone.text))
            let (status, log) = try runToExit(config: config, folder: folder)
            #expect(status == 1, Comment(rawValue: log))
            #expect(log.contains("cannot listen on UDP 127.0.0.1:\(port)") && log.contains("Address already in use"),
                    Comment(rawValue: log))
        }

        @Test("The control socket path: a stale socket is replaced, a live one or a plain file refuses the start")
        func controlSocketPath() throws {
            let folder = try TemporaryFolder("stale-socket")
            defer { folder.remove() }
            let zone = try folder.write("zone.db", TestZone.text)
            let path = folder.path + "/control.sock"
            // A stale socket file: bound, then its owner went away.
            close(UnixSocket.bound(path, type: Int32(SOCK_STREAM.rawValue)))
            #expect(FileManager.default.fileExists(atPath: path))
            let port = FreePort.find()
            let config = try writeConfig(folder, port: port, zonePath: zone)
            let first = try LaunchedProcess(executable: try DaemonProcess.binaryPath(), arguments: ["--config", config],
                                            environment: [:], logPath: folder.path + "/first.log")
            defer { first.stop() }
            var serving = false
            for _ in 0..<100 where !serving {
                serving = (try? ask(QuerySpec(name: "example.test", type: .soa), at: Endpoint(host: "127.0.0.1", port: port),
                                    timeout: 0.3)) != nil && UnixSocket.isListening(path)
                if !serving { usleep(50_000) }
            }
            #expect(serving, Comment(rawValue: first.log))

            // A second daemon on the same control socket refuses to start.
            let secondConfig = try writeConfig(folder, port: FreePort.find(), zonePath: zone)
            let (status, log) = try runToExit(config: secondConfig, folder: folder)
            #expect(status == 1, Comment(rawValue: log))
            #expect(log.contains("in use by another process"), Comment(rawValue: log))
            first.stop()

            // A plain file where the socket should be is not deleted: refuse.
            try? FileManager.default.removeItem(atPath: path)
            _ = try folder.write("control.sock", "not a socket")
            let (plainStatus, plainLog) = try runToExit(config: config, folder: folder)
            #expect(plainStatus == 1, Comment(rawValue: plainLog))
            #expect(plainLog.contains("is not a socket"), Comment(rawValue: plainLog))
            #expect((try? String(contentsOfFile: path, encoding: .utf8)) == "not a socket")
        }

        @Test("A read-only state directory: the daemon refuses to start and says why")
        func readOnlyState() throws {
            guard getuid() == 0 else {
                Issue.record("this test mounts a read-only tmpfs and must run as root (CI does)")
                return
            }
            let folder = try TemporaryFolder("ro-state")
            defer { folder.remove() }
            let state = folder.path + "/state"
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
            let mount = try runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=64k,ro", "tmpfs", state])
            #expect(mount.status == 0, Comment(rawValue: mount.stderr))
            defer { _ = try? runTool("/bin/umount", [state]) }
            let config = try writeConfig(folder, port: FreePort.find(), zonePath: try folder.write("zone.db", TestZone.text))
            let (status, log) = try runToExit(config: config, folder: folder)
            #expect(status == 1, Comment(rawValue: log))
            #expect(log.contains(state) && log.contains("Read-only file system"), Comment(rawValue: log))
        }
    }
}
