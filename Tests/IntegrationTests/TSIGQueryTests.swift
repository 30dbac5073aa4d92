import DNSWire
import Foundation
import Testing
@testable import ZoneTransfer

extension Integration {
    /// TSIG on ordinary queries (RFC 8945 5.2), not only transfers: dig and
    /// kdig with `-y` over UDP and TCP, and a stale-clock query built here.
    @Suite struct TSIGQueryTests {
        static let secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I="
        static let keyConfig = """
            tsig-keys:
              - name: query-key
                algorithm: hmac-sha256
                secret: "\(secret)"
            """
        static let key = try! TSIGKey(name: "query-key", algorithm: "hmac-sha256", base64Secret: secret)

        @Test("dig -y and kdig -y over UDP and TCP: a known key gets a verified answer, an unknown key NOTAUTH/BADKEY, a wrong secret NOTAUTH/BADSIG")
        func digAndKdigSignedQueries() throws {
            let daemon = try DaemonProcess(zone: TestZone.text, extraConfig: Self.keyConfig, label: "tsig-query")
            defer { daemon.stop() }
            for transport in [[], ["+tcp"]] {
                for tool in [Dig.Tool.dig, .kdig] {
                    let good = try Dig.query(tool, server: daemon.ipv4, name: "www.example.test", type: "A",
                                             options: transport + ["-y", "hmac-sha256:query-key:\(Self.secret)"])
                    #expect(good.status == "NOERROR" && good.aa, Comment(rawValue: good.raw))
                    #expect(good.answers(ofType: "A").map { $0[4] } == ["192.0.2.80"], Comment(rawValue: good.raw))
                    #expect(good.raw.contains("TSIG\thmac-sha256.") || good.raw.contains("TSIG hmac-sha256."),
                            Comment(rawValue: good.raw))
                    // dig: "Couldn't verify signature", "Some TSIG could not be validated"; kdig: "failed to verify TSIG".
                    let lower = good.raw.lowercased()
                    #expect(!lower.contains("verify") && !lower.contains("validated"), Comment(rawValue: good.raw))

                    let unknown = try Dig.query(tool, server: daemon.ipv4, name: "www.example.test", type: "A",
                                                options: transport + ["-y", "hmac-sha256:stranger:\(Self.secret)"])
                    // kdig prints the TSIG error where dig prints the rcode.
                    #expect(unknown.status == (tool == .dig ? "NOTAUTH" : "BADKEY"), Comment(rawValue: unknown.raw))
                    #expect(unknown.raw.contains("BADKEY") && unknown.answer.isEmpty, Comment(rawValue: unknown.raw))

                    let wrong = try Dig.query(tool, server: daemon.ipv4, name: "www.example.test", type: "A",
                                              options: transport + ["-y", "hmac-sha256:query-key:d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3I="])
                    #expect(wrong.status == (tool == .dig ? "NOTAUTH" : "BADSIG"), Comment(rawValue: wrong.raw))
                    #expect(wrong.raw.contains("BADSIG") && wrong.answer.isEmpty, Comment(rawValue: wrong.raw))
                }
            }
            print("[tsig] dig and kdig -y over UDP and TCP: verified answer, BADKEY, BADSIG")
        }

        @Test("a query signed an hour ago gets NOTAUTH with BADTIME, signed, carrying the server's clock; the same query signed now is answered and verifies")
        func staleClockIsBADTIME() throws {
            let daemon = try DaemonProcess(zone: TestZone.text, extraConfig: Self.keyConfig, label: "tsig-badtime")
            defer { daemon.stop() }
            let query = Message.query(try DomainName("www.example.test"), .a, id: 0x5151).serialize()
            let udp = try UDPClient(server: daemon.ipv4)
            let tcp = try TCPClient(server: daemon.ipv4)
            let exchanges: [(String, ([UInt8]) throws -> [UInt8])] = [
                ("UDP", { try udp.exchange($0) }), ("TCP", { try tcp.exchange($0) }),
            ]
            for (name, exchange) in exchanges {
                let now = UInt64(Date().timeIntervalSince1970)
                let stale = TSIG.sign(query, key: Self.key, priorMAC: nil, now: now - 3600, subsequent: false).message
                let requestMAC = try #require(TSIG.find(in: stale)).record.mac
                let bytes = try exchange(stale)
                let reply = try Message(bytes: bytes)
                #expect(reply.header.id == 0x5151 && reply.responseCode == .notAuth && reply.answers.isEmpty, "\(name)")
                let found = try #require(TSIG.find(in: bytes), "\(name): no TSIG in the BADTIME reply")
                #expect(found.record.error == TSIGError.badTime.rawValue, "\(name)")
                #expect(found.record.timeSigned == now - 3600, "\(name)")
                #expect(found.record.otherData.count == 6, "\(name): Other Data holds the server's time")
                let serverTime = found.record.otherData.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                #expect(serverTime >= now && serverTime <= now + 5, "\(name): server time \(serverTime), ours \(now)")
                #expect(Self.macVerifies(bytes, found: found, requestMAC: requestMAC), "\(name): BADTIME reply is signed")

                let fresh = TSIG.sign(query, key: Self.key, priorMAC: nil, now: now, subsequent: false).message
                let answered = try exchange(fresh)
                #expect(try Message(bytes: answered).responseCode == .noError, "\(name)")
                let signature = try #require(TSIG.find(in: answered), "\(name): the answer is not signed")
                #expect(Self.macVerifies(answered, found: signature, requestMAC: TSIG.find(in: fresh)!.record.mac),
                        "\(name)")
            }
            print("[tsig] a query signed an hour ago: NOTAUTH/BADTIME, signed, with the server's time (UDP and TCP)")
        }

        /// The response MAC over the request MAC, the reply without its TSIG
        /// and the TSIG variables (RFC 8945 5.3.1, 5.3.2).
        static func macVerifies(_ reply: [UInt8], found: TSIG.Found, requestMAC: [UInt8]) -> Bool {
            let digest = be16(UInt16(requestMAC.count)) + requestMAC + TSIG.unsigned(reply, found: found)
                + found.record.variables(timersOnly: false)
            return key.mac(digest) == found.record.mac
        }
    }
}
