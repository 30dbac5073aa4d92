import DNSWire
import Foundation
import Testing

extension Integration {
    /// DNS cookies over TCP (RFC 7873 5.2, RFC 9018): the same server cookie
    /// logic as UDP, with dig and a raw client.
    @Suite struct CookieTests {
        /// The hex cookie dig printed on its `; COOKIE: HEX (good)` line.
        static func printedCookie(_ reply: DigReply) -> String? {
            for line in reply.raw.split(separator: "\n") where line.contains("COOKIE:") {
                let fields = line.split(separator: " ")
                if let index = fields.firstIndex(of: "COOKIE:"), index + 1 < fields.count {
                    return String(fields[index + 1])
                }
            }
            return nil
        }

        @Test("dig +tcp +cookie gets a server cookie; sent back on a second query it is (good); malformed is FORMERR")
        func serverCookieOverTCP() throws {
            let daemon = try DaemonProcess(zone: TestZone.text, label: "cookie-tcp")
            defer { daemon.stop() }
            for server in [daemon.ipv4, daemon.ipv6] {
                let first = try Dig.query(
                    .dig, server: server, name: "www.example.test", type: "A",
                    options: ["+tcp", "+cookie"])
                let cookie = try #require(Self.printedCookie(first), "no COOKIE in the TCP reply:\n\(first.raw)")
                // Client cookie (16 hex digits) plus a 16-byte RFC 9018 server cookie.
                #expect(cookie.count == 48, Comment(rawValue: first.raw))
                #expect(first.raw.contains("(good)"), Comment(rawValue: first.raw))

                let second = try Dig.query(
                    .dig, server: server, name: "www.example.test", type: "A",
                    options: ["+tcp", "+cookie=\(cookie)"])
                #expect(second.status == "NOERROR" && !second.answer.isEmpty, Comment(rawValue: second.raw))
                #expect(second.raw.contains("(good)"), Comment(rawValue: second.raw))
                #expect(Self.printedCookie(second)?.prefix(16) == cookie.prefix(16), Comment(rawValue: second.raw))
                print(
                    "[cookie] \(server) over TCP: \(cookie.prefix(16)) + \(cookie.dropFirst(16)) (good), again (good)")
            }

            // A malformed COOKIE option (3 bytes) over TCP: FORMERR, and the connection stays usable.
            let client = try TCPClient(server: daemon.ipv4)
            let bad = Message.query(
                try DomainName("www.example.test"), .a, id: 7,
                edns: EDNSRecord(options: [(10, [1, 2, 3])])
            ).serialize()
            let badReply = try Message(bytes: try client.exchange(bad))
            #expect(badReply.header.id == 7 && badReply.responseCode == .formErr)
            let good = try Message(bytes: try client.exchange(QuerySpec(name: "www.example.test", type: .a).bytes()))
            #expect(good.responseCode == .noError && !good.answers.isEmpty)
        }
    }
}
