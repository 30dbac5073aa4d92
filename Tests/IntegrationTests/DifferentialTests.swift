import TestSupport
import DNSWire
import Foundation
import Testing

extension Integration {
    /// The same zone served by NSD 4.6 and by failoverd; the same queries
    /// to both; the replies compared section by section.
    ///
    /// Where the two legitimately differ, the rule is applied to NSD's reply
    /// before comparing, as narrowly as possible:
    ///
    /// 1. Minimal responses. NSD's default (`minimal-responses: no`) adds the
    ///    apex NS RRset to the authority section of positive answers and the
    ///    addresses of those name servers to the additional section. failoverd
    ///    answers minimally, like Knot's default and NSD's
    ///    `minimal-responses: yes`; RFC 2181 and RFC 1034 make both optional.
    ///    Only on NOERROR+AA replies with a non-empty answer, NSD's authority
    ///    records `example.test. NS` and its additional records owned by an
    ///    apex NS target are dropped, unless that target is also named by an
    ///    NS, MX or SRV record of the answer (then failoverd must add it too).
    /// 2. ANY (RFC 8482). Both answer with one RRset but may choose a
    ///    different one. failoverd's answer must be exactly one RRset, and the
    ///    whole reply is compared with NSD's reply to the same query asking
    ///    for that RRset's type.
    /// 3. EDNS options. NSD adds Extended DNS Errors (RFC 8914, e.g. EDE 20
    ///    "Not Authoritative" on REFUSED); they are informational and failoverd
    ///    sends no options, so options are not compared (presence of OPT, its
    ///    version, DO bit and UDP size are).
    /// 4. DO on BADVERS. NSD clears DO in its BADVERS reply; failoverd copies
    ///    it, as Knot 3.2 does (checked by hand: `kdig +edns=1 +dnssec` gets
    ///    BADVERS with `flags: do` from knotd) and as RFC 3225 3 asks ("the DO
    ///    bit of the query MUST be copied in the response"). Only on replies
    ///    where both rcodes are BADVERS, NSD's DO is taken to be the query's.
    @Suite struct DifferentialTests {
        static let seed: UInt64 = 0x0F41_10E4_D2024

        @Test("failoverd answers like NSD on a corpus of seeded queries")
        func matchesNSD() throws {
            let nsd = try NSDProcess(zone: TestZone.text)
            defer { nsd.stop() }
            let daemon = try DaemonProcess(zone: TestZone.text, label: "differential")
            defer { daemon.stop() }

            let corpus = Self.corpus()
            #expect(corpus.count >= 200)
            var report: [String] = []
            var compared = 0
            var differingNames: [String: Int] = [:]
            for (index, query) in corpus.enumerated() {
                var spec = query
                spec.id = UInt16(truncatingIfNeeded: 0x4000 + index)
                do {
                    let ours = try ask(spec, at: daemon.ipv4)
                    var reference = try ask(spec, at: nsd.endpoint)
                    var problems = echoProblems(spec, ours, server: "ours") + echoProblems(spec, reference, server: "NSD")
                    // Rule 2 (ANY): compare with NSD's answer for the type failoverd picked.
                    if spec.type == .any, reference.responseCode == .noError, !reference.answers.isEmpty {
                        let chosen = Set(ours.answers.map { "\($0.name.lowercased) \($0.type)" })
                        if chosen.count == 1, let type = ours.answers.first?.type {
                            var typed = spec
                            typed.type = type
                            reference = try ask(typed, at: nsd.endpoint)
                            reference.questions = ours.questions
                        } else {
                            problems.append("ANY: ours must be exactly one RRset, got \(chosen.sorted())")
                        }
                    }
                    applyMinimalResponses(&reference)
                    // Rule 4: DO on BADVERS.
                    if reference.responseCode == .badVers, ours.responseCode == .badVers {
                        reference.edns?.dnssecOK = spec.dnssecOK
                    }
                    problems += differences(reference: reference, ours: ours)
                    if !problems.isEmpty {
                        report.append("""
                            #\(index) \(spec) (seed \(Self.seed))
                            \(problems.map { "  * " + $0 }.joined(separator: "\n"))
                            NSD (after rules):
                            \(reference.summary)
                            failoverd:
                            \(ours.summary)
                            """)
                    }
                    compared += 1
                    if !problems.isEmpty { differingNames[spec.name.lowercased(), default: 0] += 1 }
                } catch {
                    report.append("#\(index) \(spec): \(error)")
                }
            }
            #expect(daemon.isRunning, "failoverd died during the corpus\n\(daemon.log())")
            if !report.isEmpty {
                Issue.record(Comment(rawValue: """
                \(report.count) of \(corpus.count) queries differ between NSD and failoverd \
                (\(compared) compared). By query name: \
                \(differingNames.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", "))

                \(report.joined(separator: "\n\n"))
                """))
            }
        }

        /// The reply must carry the query's ID and its question exactly
        /// (case included: RFC 4343 and the 0x20 trick).
        func echoProblems(_ spec: QuerySpec, _ reply: Message, server: String) -> [String] {
            var problems: [String] = []
            if reply.header.id != spec.id { problems.append("\(server): ID \(reply.header.id) != \(spec.id)") }
            let question = spec.message().questions
            if reply.questions.count != 1 || reply.questions.first?.name.wire != question.first?.name.wire
                || reply.questions.first?.type != question.first?.type
            {
                problems.append("\(server): question not echoed exactly: \(reply.questions.map { "\($0.name) \($0.type)" })")
            }
            return problems
        }

        /// Rule 1: drop what NSD adds beyond a minimal positive answer.
        func applyMinimalResponses(_ reply: inout Message) {
            guard reply.responseCode == .noError, reply.header.isAuthoritative, !reply.answers.isEmpty else { return }
            let origin = try! DomainName(TestZone.origin)
            let apexNS = reply.authorities.filter { $0.type == .ns && $0.name == origin }
            guard !apexNS.isEmpty else { return }
            let apexTargets = Set(apexNS.map { DomainName(uncheckedWire: $0.rdata) })
            var answerTargets = Set<DomainName>()
            for record in reply.answers {
                switch record.type {
                case .ns: answerTargets.insert(DomainName(uncheckedWire: record.rdata))
                case .mx: answerTargets.insert(DomainName(uncheckedWire: Array(record.rdata.dropFirst(2))))
                case .srv: answerTargets.insert(DomainName(uncheckedWire: Array(record.rdata.dropFirst(6))))
                default: break
                }
            }
            reply.authorities.removeAll { $0.type == .ns && $0.name == origin }
            reply.additionals.removeAll { apexTargets.contains($0.name) && !answerTargets.contains($0.name) }
            reply.header.authorityCount = UInt16(reply.authorities.count)
            reply.header.additionalCount = UInt16(reply.additionals.count)
        }

        // MARK: corpus

        static let existing = [
            "example.test", "www.example.test", "mail.example.test", "ns1.example.test", "ns2.example.test",
            "mixed.example.test", "txt.example.test", "ptr.example.test", "_sip._tcp.example.test",
            "sipserver.example.test", "unk.example.test", "mxself.example.test", "big.example.test",
            "mid.example.test", "bigtxt.example.test", "exists.wild.example.test", "a.b.ent.example.test",
        ]
        static let emptyNonTerminals = ["ent.example.test", "b.ent.example.test", "wild.example.test",
                                        "_tcp.example.test", "cw.example.test"]
        static let cnames = [
            "alias.example.test", "alias2.example.test", "towild.example.test", "tonx.example.test",
            "loop-a.example.test", "loop-b.example.test", "out.example.test", "todeleg.example.test",
            "c1.example.test", "c4.example.test",
        ]
        static let delegated = [
            "sub.example.test", "ns1.sub.example.test", "host.sub.example.test", "deep.host.sub.example.test",
            "sub2.example.test", "x.sub2.example.test",
        ]
        static let wildcardMatches = [
            "foo.wild.example.test", "a.b.wild.example.test", "*.wild.example.test", "x.exists.wild.example.test",
            "host.cw.example.test", "*.cw.example.test",
        ]
        static let missing = [
            "nothere.example.test", "nx.www.example.test", "zz.a.b.ent.example.test", "deep.nothere.example.test",
            "wild2.example.test", "c.ent.example.test", "x.mxself.example.test",
        ]
        static let outside = ["example.org", "test", "xexample.test", "www.example.test.org", "."]
        static let types: [RecordType] = [
            .a, .aaaa, .mx, .txt, .srv, .ptr, .caa, RecordType(65000), .ns, .soa, .cname, .any, .ds, .hinfo,
            RecordType(65001),
        ]

        /// Fixed queries for the cases that matter most, then seeded random ones.
        static func corpus() -> [QuerySpec] {
            var queries: [QuerySpec] = []
            // Every type at the apex, at a delegation (DS included), at a wildcard, at a CNAME,
            // and where additional-section processing applies (MX, SRV, NS targets).
            for name in ["example.test", "sub.example.test", "foo.wild.example.test", "alias.example.test",
                         "mxself.example.test", "_sip._tcp.example.test", "sub2.example.test", "todeleg.example.test"]
            {
                for type in types { queries.append(QuerySpec(name: name, type: type, edns: 1232)) }
            }
            // ANY and DS everywhere interesting.
            for name in existing + cnames + delegated + wildcardMatches + emptyNonTerminals {
                queries.append(QuerySpec(name: name, type: .any, edns: 1232))
                queries.append(QuerySpec(name: name, type: .ds))
            }
            // Large RRsets at each size and transport.
            for name in ["big.example.test", "mid.example.test", "bigtxt.example.test"] {
                for edns: UInt16? in [nil, 512, 1232, 4096] {
                    let type: RecordType = name.hasPrefix("bigtxt") ? .txt : .a
                    queries.append(QuerySpec(name: name, type: type, edns: edns))
                    queries.append(QuerySpec(name: name, type: type, edns: edns, tcp: true))
                }
            }
            // Header and EDNS variations: CD, EDNS version 1 (BADVERS), an unknown option,
            // zone transfers over TCP (refused: none are configured).
            queries.append(QuerySpec(name: "www.example.test", type: .a, edns: 1232, checkingDisabled: true))
            queries.append(QuerySpec(name: "www.example.test", type: .a, checkingDisabled: true))
            queries.append(QuerySpec(name: "www.example.test", type: .a, edns: 1232, ednsVersion: 1))
            queries.append(QuerySpec(name: "nothere.example.test", type: .a, edns: 1232, dnssecOK: true, ednsVersion: 1))
            queries.append(QuerySpec(name: "www.example.test", type: .a, edns: 1232, ednsOption: 65001))
            queries.append(QuerySpec(name: "example.test", type: .axfr, tcp: true))
            queries.append(QuerySpec(name: "example.test", type: .ixfr, tcp: true))
            // A five-hop CNAME chain, inside the engine's bound of 8.
            queries.append(QuerySpec(name: "c1.example.test", type: .a, edns: 1232))
            queries.append(QuerySpec(name: "c3.example.test", type: .aaaa))
            var random = SeededRandom(seed: seed)
            let pools: [(names: [String], weight: Int)] = [
                (existing, 30), (emptyNonTerminals, 6), (cnames, 14), (delegated, 10), (wildcardMatches, 10),
                (missing, 12), (outside, 5),
            ]
            let totalWeight = pools.map(\.weight).reduce(0, +)
            for _ in 0..<260 {
                var pick = Int.random(in: 0..<totalWeight, using: &random)
                var pool = pools[0].names
                for entry in pools {
                    if pick < entry.weight {
                        pool = entry.names
                        break
                    }
                    pick -= entry.weight
                }
                var name = pool.randomElement(using: &random)!
                if random.chance(0.6) { name = randomCase(name, &random) }
                let type = types.randomElement(using: &random)!
                let edns: UInt16? = [nil, 512, 1232, 4096].randomElement(using: &random)!
                let dnssecOK = edns != nil && random.chance(0.3)
                let tcp = random.chance(0.2)
                let rd = random.chance(0.3)
                queries.append(QuerySpec(name: name, type: type, edns: edns, dnssecOK: dnssecOK, tcp: tcp,
                                         recursionDesired: rd))
            }
            return queries
        }

        static func randomCase(_ name: String, _ random: inout SeededRandom) -> String {
            String(name.map { random.chance(0.5) ? Character($0.uppercased()) : $0 })
        }
    }
}
