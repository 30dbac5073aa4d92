import DNSWire
import QueryEngine
import Testing
import ZoneData
@testable import ZoneTransfer

/// Ordinary queries carrying a TSIG (RFC 8945 5.2, 5.3): what the engine
/// reports, and what `SignedQueryResponder` answers in each case.
@Suite struct SignedQueryTests {
    let key = try! TSIGKey(name: "query-key", algorithm: "hmac-sha256",
                           base64Secret: "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=")
    static let zone = try! ZoneFileLoader.load(text: """
        $TTL 300
        @ IN SOA ns1 hostmaster 7 3600 900 1209600 60
        @ IN NS ns1
        ns1 IN A 192.0.2.1
        www IN A 192.0.2.80

        """ + (0..<40).map { "big IN TXT \"record \($0) padded to make the set larger than one UDP datagram\"" }
            .joined(separator: "\n") + "\n", origin: try! DomainName("example.test"))
    let snapshot = ZoneSnapshot(zone: SignedQueryTests.zone)
    let engine = QueryEngine()
    let scratch = QueryScratch()
    /// Seconds since the epoch the server believes it is.
    let now: UInt64 = 1_800_000_000

    func query(_ name: String = "www.example.test", _ type: RecordType = .a, edns: Bool = false) -> [UInt8] {
        Message.query(try! DomainName(name), type, id: 4321, edns: edns ? EDNSRecord() : nil).serialize()
    }

    func signed(_ query: [UInt8], with key: TSIGKey? = nil, at time: UInt64? = nil) -> [UInt8] {
        TSIG.sign(query, key: key ?? self.key, priorMAC: nil, now: time ?? now, subsequent: false).message
    }

    /// Replaces the request's MAC by its first `length` bytes.
    func truncatingMAC(of message: [UInt8], to length: Int) -> [UInt8] {
        let found = TSIG.find(in: message)!
        var record = found.record
        record.mac = Array(record.mac.prefix(length))
        var unsigned = Array(message[0..<found.offset])
        unsigned[11] -= 1  // ARCOUNT: the TSIG is appended again below
        return TSIG.appendRecord(record, to: unsigned)
    }

    /// The engine hands the query over, then the responder answers it.
    func respond(_ bytes: [UInt8], transport: Transport = .udp) throws -> (reply: Message, bytes: [UInt8]) {
        var response = [UInt8](repeating: 0, count: 65535)
        let responder = SignedQueryResponder(engine: engine, keys: [key])
        let outcome = bytes.withUnsafeBytes { raw in
            response.withUnsafeMutableBytes { out -> QueryOutcome in
                let first = engine.respond(to: raw, into: out, transport: transport, snapshot: snapshot,
                                           scratch: scratch, now: Int64(now) * 1000)
                #expect(first.disposition == .needsTSIG)
                return responder.respond(to: raw, into: out, transport: transport, snapshot: snapshot,
                                         scratch: scratch, now: Int64(now) * 1000)
            }
        }
        try #require(outcome.disposition == .answered)
        let reply = Array(response[0..<outcome.length])
        #expect(outcome.rcode == (try Message(bytes: reply)).responseCode)
        return (try Message(bytes: reply), reply)
    }

    /// The reply's TSIG record, which must be its last record.
    func tsig(of reply: Message) throws -> TSIGRecord {
        let last = try #require(reply.additionals.last)
        #expect(last.type == .tsig)
        return try #require(TSIGRecord(keyName: last.name, rdata: last.rdata))
    }

    /// True when the reply's MAC is the key's over the request MAC, the
    /// reply without its TSIG and the TSIG variables (RFC 8945 5.3.1).
    func macVerifies(_ reply: [UInt8], requestMAC: [UInt8]) -> Bool {
        guard let found = TSIG.find(in: reply) else { return false }
        let digest = be16(UInt16(requestMAC.count)) + requestMAC + TSIG.unsigned(reply, found: found)
            + found.record.variables(timersOnly: false)
        return key.mac(digest) == found.record.mac
    }

    @Test(arguments: [Transport.udp, .tcp])
    func aValidQueryGetsTheAnswerSignedOverTheRequestMAC(_ transport: Transport) throws {
        let request = signed(query(edns: true))
        let requestMAC = TSIG.find(in: request)!.record.mac
        let (reply, bytes) = try respond(request, transport: transport)
        #expect(reply.header.id == 4321 && reply.responseCode == .noError && reply.header.isAuthoritative)
        #expect(reply.answers.map(\.rdata) == [[192, 0, 2, 80]])
        #expect(reply.edns != nil, "the OPT stays, before the TSIG")
        let record = try tsig(of: reply)
        #expect(record.error == 0 && record.mac.count == 32 && record.keyName == key.name)
        #expect(record.timeSigned == now && record.originalID == 4321)
        #expect(macVerifies(bytes, requestMAC: requestMAC))
        #expect(!macVerifies(bytes, requestMAC: Array(repeating: 0, count: 32)))
    }

    @Test func aSignedAnswerStaysWithinTheUDPLimitWithRoomForItsTSIG() throws {
        let request = signed(query("big.example.test", .txt))
        let (reply, bytes) = try respond(request)
        #expect(bytes.count <= 512, "no EDNS: 512 bytes, TSIG included")
        #expect(reply.header.isTruncated)
        #expect(macVerifies(bytes, requestMAC: TSIG.find(in: request)!.record.mac))
    }

    @Test func anUnknownKeyIsNOTAUTHWithAnUnsignedBADKEY() throws {
        let stranger = try! TSIGKey(name: "stranger", algorithm: "hmac-sha256", base64Secret: "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItb3Q=")
        let (reply, _) = try respond(signed(query(), with: stranger))
        #expect(reply.responseCode == .notAuth && reply.answers.isEmpty)
        #expect(reply.questions.first?.name == (try DomainName("www.example.test")))
        let record = try tsig(of: reply)
        #expect(record.error == TSIGError.badKey.rawValue && record.mac.isEmpty)
        #expect(record.keyName == stranger.name)
    }

    @Test func anUnknownAlgorithmIsBADKEY() throws {
        let sha512 = try! TSIGKey(name: "query-key", algorithm: "hmac-sha512", base64Secret: "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZQ==")
        let (reply, _) = try respond(signed(query(), with: sha512))
        #expect(reply.responseCode == .notAuth)
        #expect(try tsig(of: reply).error == TSIGError.badKey.rawValue)
    }

    @Test(arguments: [Transport.udp, .tcp])
    func aWrongMACIsNOTAUTHWithAnUnsignedBADSIG(_ transport: Transport) throws {
        let wrongSecret = try! TSIGKey(name: "query-key", algorithm: "hmac-sha256", base64Secret: "d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3I=")
        let (reply, _) = try respond(signed(query(), with: wrongSecret), transport: transport)
        #expect(reply.responseCode == .notAuth && reply.answers.isEmpty)
        let record = try tsig(of: reply)
        #expect(record.error == TSIGError.badSig.rawValue && record.mac.isEmpty)
    }

    @Test func aTruncatedMACIsBADTRUNCOrFORMERRBelowTheRFCMinimum() throws {
        let request = signed(query())
        // 16 bytes: half of SHA-256's 32, allowed by the RFC, not by our policy.
        let half = truncatingMAC(of: request, to: 16)
        let (badTrunc, bytes) = try respond(half)
        #expect(badTrunc.responseCode == .notAuth && badTrunc.answers.isEmpty)
        let record = try tsig(of: badTrunc)
        #expect(record.error == TSIGError.badTrunc.rawValue && record.mac.count == 32, "BADTRUNC is signed")
        #expect(macVerifies(bytes, requestMAC: Array(TSIG.find(in: request)!.record.mac.prefix(16))))
        // Below max(10, 32 / 2) bytes: FORMERR, no TSIG.
        for length in [15, 10, 0] {
            let (formErr, _) = try respond(truncatingMAC(of: request, to: length))
            #expect(formErr.responseCode == .formErr && formErr.additionals.isEmpty, "MAC of \(length) bytes")
        }
        // A truncated MAC that does not match is BADSIG, as any wrong MAC.
        var wrong = truncatingMAC(of: request, to: 16)
        wrong[wrong.count - 7] ^= 1  // the MAC's last byte: original ID, error and other length (2 each) follow
        #expect(try tsig(of: respond(wrong).reply).error == TSIGError.badSig.rawValue)
    }

    @Test func aStaleTimeIsBADTIMESignedWithOurClockInOtherData() throws {
        let requestTime = now - 3600
        let request = signed(query(), at: requestTime)
        let (reply, bytes) = try respond(request)
        #expect(reply.responseCode == .notAuth && reply.answers.isEmpty)
        let record = try tsig(of: reply)
        #expect(record.error == TSIGError.badTime.rawValue)
        #expect(record.timeSigned == requestTime, "the request's time, so the client can check the MAC")
        #expect(record.otherData == [0, 0] + [UInt8(truncatingIfNeeded: now >> 24), UInt8(truncatingIfNeeded: now >> 16),
                                              UInt8(truncatingIfNeeded: now >> 8), UInt8(truncatingIfNeeded: now)])
        #expect(record.mac.count == 32 && macVerifies(bytes, requestMAC: TSIG.find(in: request)!.record.mac))
        // Inside the fudge (300 s) the same query is answered.
        #expect(try respond(signed(query(), at: now + 299)).reply.responseCode == .noError)
    }

    @Test func aTSIGThatIsNotLastOrNotAloneIsFORMERR() throws {
        let once = signed(query())
        let found = TSIG.find(in: once)!
        // The same TSIG twice: the first one is not the last record.
        let twice = TSIG.appendRecord(found.record, to: once)
        var response = [UInt8](repeating: 0, count: 4096)
        let outcome = twice.withUnsafeBytes { raw in
            response.withUnsafeMutableBytes {
                engine.respond(to: raw, into: $0, transport: .udp, snapshot: snapshot, scratch: scratch)
            }
        }
        #expect(outcome.disposition == .answered && outcome.rcode == .formErr)
    }

    @Test func aMalformedTSIGIsFORMERR() throws {
        var bytes = signed(query())
        bytes[bytes.count - 1] = 1  // other length 1, but the RDATA ends there
        let (reply, _) = try respond(bytes)
        #expect(reply.responseCode == .formErr && reply.additionals.isEmpty)
    }
}
