import Foundation
import Testing

extension Integration {
    /// TCP connection caps: per source address and in total.
    @Suite struct TCPLimitTests {
        @Test("Connections past tcp.max-connections-per-source are closed at once; earlier ones keep working")
        func perSourceCap() throws {
            let folder = try TemporaryFolder("tcp-cap")
            defer { folder.remove() }
            let port = FreePort.find()
            let config = try writeConfig(folder, port: port, zonePath: try folder.write("zone.db", TestZone.text),
                                         extra: "tcp:\n  max-connections-per-source: 3\n  idle-timeout: 30")
            let daemon = try LaunchedProcess(executable: try DaemonProcess.binaryPath(), arguments: ["--config", config],
                                             environment: [:], logPath: folder.path + "/log")
            defer { daemon.stop() }
            let server = Endpoint(host: "127.0.0.1", port: port)
            var ready = false
            for _ in 0..<100 where !ready {
                ready = (try? ask(QuerySpec(name: "example.test", type: .soa), at: server, timeout: 0.3)) != nil
                if !ready { usleep(50_000) }
            }
            #expect(ready, Comment(rawValue: daemon.log))
            let kept = try (0..<3).map { _ in try TCPClient(server: server) }
            usleep(200_000)
            let extra = try TCPClient(server: server)
            #expect(extra.waitForClose(timeout: 2), "a 4th connection from one address must be closed")
            for (index, client) in kept.enumerated() {
                var query = QuerySpec(name: "www.example.test", type: .a, tcp: true)
                query.id = UInt16(index)
                let reply = try client.exchange(query.bytes())
                #expect(!reply.isEmpty)
            }
        }
    }
}
