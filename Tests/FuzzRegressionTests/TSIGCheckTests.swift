import DNSWire
import Testing
import ZoneTransfer

/// The `tsig` fuzz target's check over every signing plan, and proof that
/// its oracle notices a wrong reply (a check that cannot fail finds nothing).
@Suite("TSIG fuzz check", .serialized)
struct TSIGCheckTests {
    static func query(_ name: String, _ type: RecordType, id: UInt16) throws -> [UInt8] {
        var message = Message(header: DNSHeader(id: id))
        message.questions = [Question(name: try DomainName(name), type: type, recordClass: .internet)]
        return message.serialize()
    }

    @Test func everyPlanPassesOnQueriesAndTransfers() throws {
        let messages = [try Self.query("www.example.test", .a, id: 0x4000),
                        try Self.query("example.test", .axfr, id: 0x4001),
                        try Self.query("example.test", .soa, id: 0x4002)]
        for message in messages {
            for plan in UInt8.min...UInt8.max {
                let problem = TSIGCheck.check([plan] + message)
                #expect(problem == nil, "plan \(plan): \(problem ?? "")")
            }
        }
    }

    @Test(arguments: [(UInt8(0x00), TSIGCheck.Verdict.valid(TSIGCheck.sha256Key)),
                      (0x01, .valid(TSIGCheck.sha512Key)), (0x02, .refused(.badSig)), (0x03, .refused(.badKey)),
                      (0x04, .valid(TSIGCheck.sha256Key)), (0x08, .refused(.badTime)), (0x0C, .refused(.badTime)),
                      (0x10, .refused(.badTrunc)), (0x20, .refused(.badSig)), (0x1B, .refused(.badKey))])
    func planVerdicts(plan: UInt8, verdict: TSIGCheck.Verdict) {
        #expect(TSIGCheck.Plan(plan).verdict == verdict)
    }

    /// A peer that must sign gets the zone with the right key only.
    @Test func transferAuthorizationFollowsTheSignature() throws {
        let axfr = try Self.query("example.test", .axfr, id: 0x4003)
        for (plan, expectRecords) in [(UInt8(0x40), true), (0x41, false), (0x60, false), (0x00, true)] {
            let request = TSIGCheck.sign(axfr, plan: TSIGCheck.Plan(plan)).request
            let peer = plan & 0x40 != 0 ? IPAddress(ipv4: (192, 0, 2, 1)) : IPAddress(ipv4: (127, 0, 0, 1))
            let messages = TSIGCheck.responder.respond(to: request, peer: peer, snapshot: WireCheck.snapshot,
                                                       now: TSIGCheck.now)
            let records = messages.map { TSIGCheck.counts($0).answers }.reduce(0, +)
            #expect((records > 0) == expectRecords, "plan \(plan)")
        }
    }

    @Test func oracleRejectsATamperedOrUnsignedReply() throws {
        let axfr = try Self.query("example.test", .axfr, id: 0x4004)
        let plan = TSIGCheck.Plan(0)
        let (request, mac) = TSIGCheck.sign(axfr, plan: plan)
        let messages = TSIGCheck.responder.respond(to: request, peer: IPAddress(ipv4: (127, 0, 0, 1)), snapshot: WireCheck.snapshot,
                                                   now: TSIGCheck.now)
        let reply = try #require(messages.first)
        #expect(TSIGCheck.replyCheck(reply, verdict: plan.verdict, requestMAC: mac, priorMAC: nil, what: "m") == nil)

        var tampered = reply
        tampered[DNSHeader.size + 5] ^= 0x01  // in the question: the MAC no longer covers it
        #expect(TSIGCheck.replyCheck(tampered, verdict: plan.verdict, requestMAC: mac, priorMAC: nil,
                                     what: "m") != nil)
        let otherMAC = mac.map { $0 ^ 0xFF }
        #expect(TSIGCheck.replyCheck(reply, verdict: plan.verdict, requestMAC: otherMAC, priorMAC: nil,
                                     what: "m") != nil)
        let found = try #require(TSIG.find(in: reply))
        var unsigned = Array(reply[0..<found.offset])
        unsigned[11] -= 1
        #expect(TSIGCheck.replyCheck(unsigned, verdict: plan.verdict, requestMAC: mac, priorMAC: nil,
                                     what: "m") != nil)
        #expect(TSIGCheck.replyCheck(reply, verdict: .refused(.badSig), requestMAC: mac, priorMAC: nil,
                                     what: "m") != nil)
    }
}
