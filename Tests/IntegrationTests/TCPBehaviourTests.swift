import DNSWire
import Foundation
import Testing

extension Integration {
    /// DNS over TCP (RFC 7766) as clients exercise it.
    @Suite struct TCPBehaviourTests {
        @Test("Pipelined queries in one write are all answered on one connection")
        func pipelined() throws {
            let daemon = try DaemonProcess(zone: TestZone.text, label: "tcp")
            defer { daemon.stop() }
            for server in [daemon.ipv4, daemon.ipv6] {
                let client = try TCPClient(server: server)
                let names = ["example.test", "www.example.test", "big.example.test", "nothere.example.test",
                             "sub.example.test", "alias2.example.test", "foo.wild.example.test", "example.org",
                             "bigtxt.example.test", "mid.example.test"]
                var stream: [UInt8] = []
                var expected: [UInt16: String] = [:]
                for (index, name) in names.enumerated() {
                    let id = UInt16(0x100 + index)
                    expected[id] = name
                    stream += TCPClient.frame(QuerySpec(name: name, type: .any, id: id, edns: 1232).bytes())
                }
                try client.sendRaw(stream)
                var answered: [UInt16: Message] = [:]
                while answered.count < names.count, let reply = client.receive(timeout: 3) {
                    let message = try Message(bytes: reply)
                    answered[message.header.id] = message
                }
                #expect(Set(answered.keys) == Set(expected.keys), "answered IDs \(answered.keys.sorted()) of \(expected.keys.sorted())")
                for (id, message) in answered {
                    #expect(message.questions.first?.name == (try DomainName(expected[id]!)), "\(message.summary)")
                    #expect(!message.header.isTruncated, "\(message.summary)")
                }
                // The connection stays usable after the burst.
                let again = try Message(bytes: try client.exchange(QuerySpec(name: "www.example.test", type: .a, id: 9).bytes()))
                #expect(again.answers.count == 1)
            }
        }

        @Test("A query sent one byte at a time is answered")
        func oneByteAtATime() throws {
            let daemon = try DaemonProcess(zone: TestZone.text, label: "tcp")
            defer { daemon.stop() }
            let client = try TCPClient(server: daemon.ipv4)
            let framed = TCPClient.frame(QuerySpec(name: "www.example.test", type: .aaaa, id: 0x0B1E, edns: 1232).bytes())
            for byte in framed {
                try client.sendRaw([byte])
                usleep(10_000)
            }
            let reply = try #require(client.receive(timeout: 3), "no answer to a query trickled in byte by byte\n\(daemon.log())")
            let message = try Message(bytes: reply)
            #expect(message.header.id == 0x0B1E)
            #expect(message.answers.map(\.type) == [.aaaa])
            // Two queries, their bytes interleaved across writes of odd sizes.
            let two = TCPClient.frame(QuerySpec(name: "example.test", type: .soa, id: 1).bytes())
                + TCPClient.frame(QuerySpec(name: "mail.example.test", type: .a, id: 2).bytes())
            var offset = 0
            var size = 1
            while offset < two.count {
                let end = min(two.count, offset + size)
                try client.sendRaw(Array(two[offset..<end]))
                offset = end
                size = size % 7 + 3
                usleep(5_000)
            }
            let first = try Message(bytes: try #require(client.receive(timeout: 3)))
            let second = try Message(bytes: try #require(client.receive(timeout: 3)))
            #expect(Set([first.header.id, second.header.id]) == [1, 2])
        }

        @Test("An idle connection is closed after the idle timeout (2 s here)")
        func idleTimeout() throws {
            let daemon = try DaemonProcess(zone: TestZone.text, label: "tcp")
            defer { daemon.stop() }
            let used = try TCPClient(server: daemon.ipv4)
            _ = try used.exchange(QuerySpec(name: "example.test", type: .soa).bytes())
            let silent = try TCPClient(server: daemon.ipv6)
            let start = Date()
            #expect(!used.waitForClose(timeout: 1.0), "closed before the idle timeout")
            #expect(used.waitForClose(timeout: 3.5), "still open 4.5 s after the last query (idle timeout 2 s)\n\(daemon.log())")
            let elapsed = Date().timeIntervalSince(start)
            #expect(elapsed >= 1.5 && elapsed < 4.5, "closed after \(elapsed) s, idle timeout is 2 s")
            #expect(silent.waitForClose(timeout: 1.5), "a connection that never sent anything is still open")
        }

        @Test("Stalled and non-reading TCP clients do not block UDP or other TCP clients")
        func stalledClientsDoNotBlock() throws {
            let daemon = try DaemonProcess(zone: TestZone.text, label: "tcp")
            defer { daemon.stop() }
            // Half a length prefix; half a query; a client that floods queries for
            // a large answer and never reads.
            let halfPrefix = try TCPClient(server: daemon.ipv4)
            try halfPrefix.sendRaw([0x00])
            let halfQuery = try TCPClient(server: daemon.ipv4)
            let query = TCPClient.frame(QuerySpec(name: "example.test", type: .soa).bytes())
            try halfQuery.sendRaw(Array(query.prefix(query.count / 2)))
            let stalledAt = Date()
            let greedy = try TCPClient(server: daemon.ipv4, timeout: 1)
            let bigQuery = TCPClient.frame(QuerySpec(name: "big.example.test", type: .a, edns: 1232).bytes())
            var flood: [UInt8] = []
            for _ in 0..<200 { flood += bigQuery }
            // The send may block once both socket buffers are full; SO_SNDTIMEO bounds it.
            for _ in 0..<20 { try? greedy.sendRaw(flood) }

            for attempt in 0..<5 {
                let started = Date()
                // Generous timeouts: a busy CI machine is slow, a blocked server never answers.
                let udp = try ask(QuerySpec(name: "www.example.test", type: .a, id: UInt16(attempt)), at: daemon.ipv4,
                                  timeout: 3)
                #expect(udp.answers.count == 1)
                let tcp = try ask(QuerySpec(name: "www.example.test", type: .a, id: UInt16(attempt), tcp: true),
                                  at: daemon.ipv4, timeout: 3)
                #expect(tcp.answers.count == 1)
                let took = Date().timeIntervalSince(started)
                #expect(took < 3, "UDP+TCP answers took \(took) s while other clients stall")
            }
            // Partial messages are cut off after the message timeout (2 s here).
            #expect(halfQuery.waitForClose(timeout: 4), "a half-sent query still holds its connection\n\(daemon.log())")
            #expect(halfPrefix.waitForClose(timeout: 1), "half a length prefix still holds its connection")
            let elapsed = Date().timeIntervalSince(stalledAt)
            #expect(elapsed >= 1.5, "stalled connections closed after only \(elapsed) s")
            #expect(daemon.isRunning)
        }
    }
}
