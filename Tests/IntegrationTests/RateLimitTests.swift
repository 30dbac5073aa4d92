import DNSWire
import Foundation
import Testing

extension Integration {
    /// Response rate limiting and DNS cookies on the wire, with dig.
    @Suite struct RateLimitTests {
        static let config = """
            rrl:
              responses-per-second: 10
              slip: 2
              exempt: []
            """

        @Test("Past the rate, answers are dropped or slipped (TC, no records); a valid cookie is exempt; dig +cookie gets a server cookie")
        func limitedSlippedAndCookieExempt() throws {
            let daemon = try DaemonProcess(zone: TestZone.text, extraConfig: Self.config, label: "rrl")
            defer { daemon.stop() }
            let client = try UDPClient(server: daemon.ipv4)
            var full = 0
            var slipped = 0
            for index in 0..<60 {
                var query = QuerySpec(name: "www.example.test", type: .a)
                query.id = UInt16(index)
                try client.send(query.bytes())
            }
            let deadline = Date().addingTimeInterval(1)
            while Date() < deadline, let reply = client.receive(timeout: 0.3) {
                guard let message = try? Message(bytes: reply) else { continue }
                if message.header.isTruncated && message.answers.isEmpty { slipped += 1 } else { full += 1 }
            }
            let dropped = 60 - full - slipped
            print("[rrl] 60 queries in a burst: \(full) answered, \(slipped) slipped (TC), \(dropped) dropped")
            // The readiness probe may have spent part of this second's budget.
            #expect(full >= 5 && full <= 20, "a 10/s limit answered \(full)")
            #expect(slipped >= 15, "slip 2 should truncate about half of the limited answers, got \(slipped)")
            #expect(dropped >= 15)

            // dig sees a slipped answer as tc (and, on its own, would retry over TCP).
            var sawTC = false
            // Slip truncates every 2nd limited answer, so whether dig's query lands on a slip depends on the
            // parity of the queries before it: vary the burst so both parities come up.
            for attempt in 0..<20 where !sawTC {
                for _ in 0..<(20 + attempt % 3) { try client.send(QuerySpec(name: "www.example.test", type: .a).bytes()) }
                // A dropped answer makes dig exit 9 (no reply): try again.
                guard let reply = try? Dig.query(.dig, server: daemon.ipv4, name: "www.example.test", type: "A",
                                                 options: ["+ignore", "+tries=1", "+time=1"])
                else { continue }
                sawTC = reply.tc && reply.answer.isEmpty
            }
            #expect(sawTC, "dig never saw a slipped (tc) answer while the limit was exceeded")

            // A client cookie gets a server cookie back; with it, the client is exempt.
            let clientCookie: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
            let first = Message.query(try DomainName("www.example.test"), .a, id: 1,
                                      edns: EDNSRecord(options: [(10, clientCookie)])).serialize()
            var serverCookie: [UInt8]? = nil
            for _ in 0..<30 where serverCookie == nil {
                if let reply = try? client.exchange(first, timeout: 0.3), let message = try? Message(bytes: reply),
                    let option = message.edns?.options.first(where: { $0.code == 10 })
                {
                    #expect(option.data.count == 24 && Array(option.data.prefix(8)) == clientCookie)
                    serverCookie = option.data
                }
                usleep(100_000)
            }
            let cookie = try #require(serverCookie, "no COOKIE option came back")
            for _ in 0..<50 { try client.send(QuerySpec(name: "www.example.test", type: .a).bytes()) }
            _ = client.drain()
            var answeredWithCookie = 0
            for index in 0..<30 {
                let query = Message.query(try DomainName("www.example.test"), .a, id: UInt16(100 + index),
                                          edns: EDNSRecord(options: [(10, cookie)])).serialize()
                if let reply = try? client.exchange(query, timeout: 0.5), let message = try? Message(bytes: reply),
                    !message.header.isTruncated, !message.answers.isEmpty
                {
                    answeredWithCookie += 1
                }
            }
            print("[rrl] with a valid server cookie: \(answeredWithCookie) of 30 answered in full past the limit")
            #expect(answeredWithCookie == 30)

            // dig +cookie: the server's cookie comes back and dig marks it good.
            let dig = try Dig.query(.dig, server: Endpoint(host: "::1", port: daemon.port), name: "www.example.test",
                                    type: "A", options: ["+cookie"])
            #expect(dig.raw.contains("COOKIE:") && dig.raw.contains("(good)"), Comment(rawValue: dig.raw))
            // A malformed cookie option is FORMERR.
            let bad = Message.query(try DomainName("www.example.test"), .a, id: 7,
                                    edns: EDNSRecord(options: [(10, [1, 2, 3])])).serialize()
            let badReply = try Message(bytes: try UDPClient(server: daemon.ipv6).exchange(bad))
            #expect(badReply.responseCode == .formErr)
        }
    }
}
