import DNSWire
import QueryEngine
import TestSupport
import Testing

/// Header, opcode, EDNS and wire-safety behaviours on raw bytes.
@Suite struct HeaderCaseTests {
    let harness = EngineHarness()

    func query(_ name: String = "www.example.test", _ type: RecordType = .a, id: UInt16 = 7,
               edns: EDNSRecord? = nil) -> [UInt8] {
        Message.query(try! DomainName(name), type, id: id, edns: edns).serialize()
    }

    func rcode(of bytes: [UInt8]) -> ResponseCode? {
        guard let reply = harness.respond(bytes) else { return nil }
        return (try? Message(bytes: reply.bytes))?.responseCode
    }

    @Test func dropsResponsesShortPacketsAndUnreadableQuestions() {
        var response = query()
        response[2] |= 0x80  // QR
        #expect(harness.respond(response) == nil)
        #expect(harness.respond(Array(query().prefix(11))) == nil)
        #expect(harness.respond([]) == nil)
        #expect(harness.respond(Array(query().prefix(20))) == nil, "question cut inside the name")
        #expect(harness.respond(Array(query().dropLast(2))) == nil, "question without its class")
        var pointer = Array(query().prefix(12))
        pointer += [0xC0, 0x0C, 0, 1, 0, 1]  // qname as a pointer to itself
        #expect(harness.respond(pointer) == nil)
        var longLabel = Array(query().prefix(12))
        longLabel += [64] + Array(repeating: 97, count: 64) + [0, 0, 1, 0, 1]
        #expect(harness.respond(longLabel) == nil)
        var longName = Array(query().prefix(12))
        for _ in 0..<5 { longName += [63] + Array(repeating: 97, count: 63) }
        longName += [0, 0, 1, 0, 1]
        #expect(harness.respond(longName) == nil)
    }

    @Test func notifyToThePrimaryIsRefused() throws {
        var bytes = query()
        bytes[2] = (bytes[2] & 0x87) | (4 << 3)
        let reply = try Message(bytes: try #require(harness.respond(bytes)).bytes)
        #expect(reply.responseCode == .refused)
        #expect(reply.header.opcode == .notify)
        #expect(!reply.header.isAuthoritative)
    }

    @Test(arguments: [UInt8(1), 2, 5, 15])
    func unknownOpcodesGetNOTIMPWithTheOpcodeEchoed(opcode: UInt8) throws {
        var bytes = query()
        bytes[2] = (bytes[2] & 0x87) | (opcode << 3)
        let reply = try Message(bytes: try #require(harness.respond(bytes)).bytes)
        #expect(reply.responseCode == .notImp)
        #expect(reply.header.opcode.rawValue == opcode)
        #expect(!reply.header.isAuthoritative)
    }

    @Test func malformedSectionsGetFORMERR() {
        var noQuestion = query()
        noQuestion[5] = 0
        #expect(rcode(of: Array(noQuestion.prefix(12))) == .formErr)
        var twoQuestions = query()
        twoQuestions[5] = 2
        twoQuestions += Array(query()[12...])
        #expect(rcode(of: twoQuestions) == .formErr)
        var withAnswer = query()
        withAnswer[7] = 1
        #expect(rcode(of: withAnswer) == .formErr)
        var countsBeyondData = query()
        countsBeyondData[10] = 0xFF
        countsBeyondData[11] = 0xFF
        #expect(rcode(of: countsBeyondData) == .formErr)
        // Two OPT records.
        var twoOPT = query(edns: EDNSRecord())
        let opt = Array(twoOPT.suffix(11))
        twoOPT[11] = 2
        twoOPT += opt
        #expect(rcode(of: twoOPT) == .formErr)
        // An option whose length runs past the OPT RDATA.
        var badOption = query()
        badOption[11] = 1
        badOption += [0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 4, 0, 10, 0, 8]
        #expect(rcode(of: badOption) == .formErr)
        // TSIG that is not the last additional record.
        var tsigFirst = query()
        tsigFirst[11] = 2
        tsigFirst += [0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 0]
        tsigFirst += [0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 0]
        #expect(rcode(of: tsigFirst) == .formErr)
        // OPT owner must be the root.
        var namedOPT = query()
        namedOPT[11] = 1
        namedOPT += [1, 97, 0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 0]
        #expect(rcode(of: namedOPT) == .formErr)
    }

    @Test func ednsVersionAboveZeroGetsBADVERS() throws {
        let bytes = query(edns: EDNSRecord(version: 1))
        let reply = try Message(bytes: try #require(harness.respond(bytes)).bytes)
        #expect(reply.responseCode == .badVers)
        #expect(reply.header.rcode == 0)
        #expect(reply.edns?.version == 0)
        #expect(reply.edns?.extendedRcode == 1)
        #expect(reply.answers.isEmpty)
    }

    @Test func ednsReplyEchoesDOAndDropsUnknownOptions() throws {
        let bytes = query(edns: EDNSRecord(udpPayloadSize: 4096, dnssecOK: true, options: [(65001, [1, 2, 3])]))
        let reply = try Message(bytes: try #require(harness.respond(bytes)).bytes)
        #expect(reply.edns?.dnssecOK == true)
        #expect(reply.edns?.udpPayloadSize == 1232)
        #expect(reply.edns?.options.isEmpty == true)
        let plain = try Message(bytes: try #require(harness.respond(query(edns: EDNSRecord()))).bytes)
        #expect(plain.edns?.dnssecOK == false)
        let none = try Message(bytes: try #require(harness.respond(query())).bytes)
        #expect(none.edns == nil)
    }

    @Test func udpSizeHonoursTheSmallerOfClientAndServerAndAtLeast512() throws {
        for (asked, limit) in [(100, 512), (512, 512), (800, 800), (1232, 1232), (4096, 1232), (65535, 1232)] {
            let bytes = query("big.example.test", .txt, edns: EDNSRecord(udpPayloadSize: UInt16(asked)))
            let reply = try #require(harness.respond(bytes))
            #expect(reply.bytes.count <= limit)
            #expect(reply.outcome.truncated)
        }
        let small = try #require(harness.respond(query("www.example.test", .a, edns: EDNSRecord(udpPayloadSize: 100))))
        #expect(!small.outcome.truncated)
    }

    @Test func flagsAreSetAndClearedAsRFC1035Says() throws {
        var bytes = query()
        bytes[2] |= 0x01  // RD
        bytes[3] |= 0x10 | 0x20 | 0x40 | 0x80  // CD, AD, Z, RA
        let reply = try #require(harness.respond(bytes)).bytes
        #expect(reply[2] == 0x85)  // QR, AA, RD
        #expect(reply[3] == 0x00)  // RA, Z, AD, CD clear; NOERROR
        #expect(Array(reply[0..<2]) == [0, 7])
    }

    @Test func queryNameCaseIsKeptInTheQuestionAndTheAnswerOwner() throws {
        let bytes = query("wWw.ExAmPlE.TeSt")
        let reply = try #require(harness.respond(bytes)).bytes
        #expect(Array(reply[12..<bytes.count]) == Array(bytes[12...]))
        // The answer owner points at the question name (offset 12).
        #expect(Array(reply[bytes.count..<(bytes.count + 2)]) == [0xC0, 0x0C])
        let parsed = try Message(bytes: reply)
        #expect(parsed.answers.first?.name.description == "wWw.ExAmPlE.TeSt.")
    }

    @Test func otherClassesAreRefused() throws {
        var chaos = Message.query(try DomainName("version.bind"), .txt)
        chaos.questions[0].recordClass = .chaos
        #expect(rcode(of: chaos.serialize()) == .refused)
        var any = Message.query(try DomainName("www.example.test"), .a)
        any.questions[0].recordClass = .any
        #expect(rcode(of: any.serialize()) == .refused)
    }

    @Test func noReplyIsLargerThanTheQueryAllowsForGarbage() {
        // A reply to garbage is an amplification tool: check random packets.
        var generator = SeededRandom(seed: 42)
        for _ in 0..<20_000 {
            let length = Int(generator.next() % 80)
            var packet = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if packet.count > 2 { packet[2] &= 0x7F }
            if let reply = harness.respond(packet) {
                #expect(reply.bytes.count >= 12)
                #expect(reply.bytes[2] & 0x80 != 0)
            }
        }
    }
}
