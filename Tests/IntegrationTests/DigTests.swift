import Foundation
import Testing

extension Integration {
    /// failoverd as dig and kdig see it: the checks an operator would run by hand.
    @Suite struct DigTests {
        static let tools: [Dig.Tool] = [.dig, .kdig]

        @Test("SOA with aa over UDP and TCP, with and without EDNS, IPv4 and IPv6, by dig and kdig")
        func soaEverywhere() throws {
            let daemon = try DaemonProcess(zone: TestZone.text, label: "dig")
            defer { daemon.stop() }
            for tool in Self.tools {
                var variants: [[String]] = [[], ["+tcp"], ["+noedns"], ["+tcp", "+noedns"]]
                if tool == .kdig { variants += [["+edns=0"], ["+bufsize=512"], ["+tcp", "+edns=0"], ["+bufsize=4096"]] }
                for server in [daemon.ipv4, daemon.ipv6] {
                    for options in variants {
                        let reply = try Dig.query(tool, server: server, name: "example.test", type: "SOA", options: options)
                        let context = Comment(rawValue: reply.raw + "\n" + daemon.log())
                        #expect(reply.status == "NOERROR", context)
                        #expect(reply.aa, context)
                        #expect(!reply.tc, context)
                        #expect(reply.answers(ofType: "SOA").count == 1, context)
                        #expect(reply.answer.count == 1, context)
                        // dig sends EDNS unless +noedns; kdig only with +edns or +bufsize.
                        let sentEDNS = tool == .dig
                            ? !options.contains("+noedns")
                            : options.contains { $0.hasPrefix("+edns") || $0.hasPrefix("+bufsize") }
                        #expect(reply.edns == sentEDNS, Comment(rawValue: "OPT in the reply exactly when the query had one\n" + reply.raw))
                    }
                }
            }
        }

        @Test("NXDOMAIN, NODATA and empty non-terminals carry the SOA with the negative TTL")
        func negativeAnswers() throws {
            let daemon = try DaemonProcess(zone: TestZone.text, label: "dig")
            defer { daemon.stop() }
            let cases: [(name: String, type: String, status: String)] = [
                ("nothere.example.test", "A", "NXDOMAIN"),
                ("deep.nothere.example.test", "AAAA", "NXDOMAIN"),
                ("www.example.test", "MX", "NOERROR"),
                ("www.example.test", "TYPE65001", "NOERROR"),
                ("b.ent.example.test", "A", "NOERROR"),
                ("ent.example.test", "TXT", "NOERROR"),
                ("wild.example.test", "A", "NOERROR"),
            ]
            for tool in Self.tools {
                for item in cases {
                    for options in [[], ["+tcp"], ["+noedns"]] {
                        let reply = try Dig.query(tool, server: daemon.ipv4, name: item.name, type: item.type, options: options)
                        let context = Comment(rawValue: reply.raw)
                        #expect(reply.status == item.status, context)
                        #expect(reply.aa, context)
                        #expect(reply.answer.isEmpty, context)
                        let soa = reply.authorities(ofType: "SOA")
                        #expect(soa.count == 1 && reply.authority.count == 1, context)
                        // RFC 2308 3: TTL = min(SOA TTL 3600, MINIMUM 300).
                        #expect(soa.first?[1] == "300", context)
                        #expect(soa.first?[0].lowercased() == "example.test.", context)
                    }
                }
            }
        }

        @Test("REFUSED, without aa or answer, for names outside the zone")
        func refusedOutsideZone() throws {
            let daemon = try DaemonProcess(zone: TestZone.text, label: "dig")
            defer { daemon.stop() }
            for tool in Self.tools {
                for name in ["example.org", "test", ".", "xexample.test", "www.example.test.org"] {
                    for options in [[], ["+tcp"]] {
                        let reply = try Dig.query(tool, server: daemon.ipv4, name: name, type: "A", options: options)
                        let context = Comment(rawValue: reply.raw)
                        #expect(reply.status == "REFUSED", context)
                        #expect(!reply.aa, context)
                        #expect(reply.answer.isEmpty && reply.authority.isEmpty, context)
                    }
                }
            }
        }

        @Test("A large RRset sets tc over UDP and comes whole over TCP; dig and kdig retry over TCP by themselves")
        func truncationAndTCPRetry() throws {
            let daemon = try DaemonProcess(zone: TestZone.text, label: "dig")
            defer { daemon.stop() }
            for tool in Self.tools {
                // 100 A records do not fit 512 bytes, nor the 1232 we serve over UDP even if asked for more.
                var udpOptions: [[String]] = [["+noedns", "+ignore"], ["+ignore"]]
                udpOptions.append(["+bufsize=4096", "+ignore"])
                for options in udpOptions {
                    let reply = try Dig.query(tool, server: daemon.ipv4, name: "big.example.test", type: "A", options: options)
                    let context = Comment(rawValue: reply.raw)
                    #expect(reply.tc, Comment(rawValue: "tc expected for 100 A records over UDP\n" + reply.raw))
                    #expect(reply.answer.count < TestZone.bigCount, context)
                }
                for options in [["+tcp"], ["+tcp", "+noedns"]] {
                    let reply = try Dig.query(tool, server: daemon.ipv6, name: "big.example.test", type: "A", options: options)
                    let context = Comment(rawValue: reply.raw)
                    #expect(!reply.tc, context)
                    #expect(reply.aa, context)
                    #expect(reply.answers(ofType: "A").count == TestZone.bigCount, context)
                }
                // Default behaviour: UDP first, TC, then the same query over TCP.
                for options in [[], ["+noedns"]] {
                    let reply = try Dig.query(tool, server: daemon.ipv4, name: "big.example.test", type: "A", options: options)
                    let context = Comment(rawValue: reply.raw)
                    #expect(reply.truncatedRetry, Comment(rawValue: "\(tool) should report its TCP retry\n" + reply.raw))
                    #expect(!reply.tc, context)
                    #expect(reply.answers(ofType: "A").count == TestZone.bigCount, context)
                }
                // 40 A records: truncated at 512 without EDNS, whole with EDNS 1232.
                let small = try Dig.query(tool, server: daemon.ipv4, name: "mid.example.test", type: "A",
                                          options: ["+noedns", "+ignore"])
                #expect(small.tc, Comment(rawValue: small.raw))
                let edns = try Dig.query(tool, server: daemon.ipv4, name: "mid.example.test", type: "A",
                                         options: ["+bufsize=1232", "+ignore"])
                #expect(!edns.tc && edns.answers(ofType: "A").count == TestZone.midCount, Comment(rawValue: edns.raw))
                let tiny = try Dig.query(tool, server: daemon.ipv4, name: "mid.example.test", type: "A",
                                         options: ["+bufsize=100", "+ignore"])
                // Sizes under 512 count as 512 (RFC 6891 6.2.5): still truncated, never a smaller reply.
                #expect(tiny.tc, Comment(rawValue: tiny.raw))
                let text = try Dig.query(tool, server: daemon.ipv4, name: "bigtxt.example.test", type: "TXT", options: [])
                #expect(text.truncatedRetry && text.answers(ofType: "TXT").count == 6, Comment(rawValue: text.raw))
            }
        }

        /// dig only: kdig lowercases the name before sending it (checked with a
        /// listening socket: `kdig wWw.ExAmPlE.test` sends `www.example.test`).
        @Test("The query name's case (0x20) is echoed in the question and the answer owner")
        func caseIsPreserved() throws {
            let daemon = try DaemonProcess(zone: TestZone.text, label: "dig")
            defer { daemon.stop() }
            for tool in [Dig.Tool.dig] {
                for (name, type) in [("ExAmPlE.TeSt", "SOA"), ("wWw.ExAmPlE.test", "A"), ("FoO.WiLd.example.TEST", "A"),
                                     ("mixed.example.test", "A"), ("NoThErE.example.test", "A")]
                {
                    for options in [[], ["+tcp"]] {
                        let reply = try Dig.query(tool, server: daemon.ipv4, name: name, type: type, options: options)
                        let context = Comment(rawValue: reply.raw)
                        #expect(reply.question.first == name + ".", context)
                        if reply.status == "NOERROR" {
                            #expect(reply.answer.first?.first == name + ".", context)
                        }
                    }
                }
            }
        }

        @Test("Referral, wildcard and CNAME chain as dig shows them")
        func referralWildcardCNAME() throws {
            let daemon = try DaemonProcess(zone: TestZone.text, label: "dig")
            defer { daemon.stop() }
            for tool in Self.tools {
                let referral = try Dig.query(tool, server: daemon.ipv4, name: "host.sub.example.test", type: "A")
                var context = Comment(rawValue: referral.raw)
                #expect(referral.status == "NOERROR" && !referral.aa && referral.answer.isEmpty, context)
                #expect(referral.authorities(ofType: "NS").count == 2, context)
                #expect(Set(referral.additional.filter { $0.count > 3 && ($0[3] == "A" || $0[3] == "AAAA") }.map { $0[4] })
                        == ["192.0.2.200", "2001:db8::200"], context)

                let wildcard = try Dig.query(tool, server: daemon.ipv4, name: "a.b.wild.example.test", type: "A")
                context = Comment(rawValue: wildcard.raw)
                #expect(wildcard.status == "NOERROR" && wildcard.aa, context)
                #expect(wildcard.answer.map { $0[0] } == ["a.b.wild.example.test."], context)
                #expect(wildcard.answer.first?.last == "192.0.2.99", context)

                let chain = try Dig.query(tool, server: daemon.ipv4, name: "alias2.example.test", type: "A")
                context = Comment(rawValue: chain.raw)
                #expect(chain.status == "NOERROR" && chain.aa, context)
                #expect(chain.answer.map { $0[3] } == ["CNAME", "CNAME", "A"], context)
                #expect(chain.answer.last?.last == "192.0.2.80", context)
            }
        }
    }
}
