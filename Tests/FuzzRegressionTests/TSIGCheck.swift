import Crypto
import DNSWire
import QueryEngine
import ZoneData
import ZoneTransfer

/// One input of the `tsig` fuzz target: a request signed (or mis-signed) by
/// the check itself, so the fuzzer reaches past MAC verification into the
/// signed-query and zone-transfer paths. The first byte is the signing plan,
/// the rest the message before signing:
///
///     bits 0-1  key: 0 the SHA-256 key, 1 the SHA-512 key, 2 the SHA-256
///               key's name with a wrong secret, 3 a key nobody configured
///     bits 2-3  time signed: 0 now, 1 exactly one fudge ago, 2 one second
///               past the fudge ahead, 3 a day ago
///     bit 4     MAC truncated to half its length
///     bit 5     one MAC bit flipped
///     bit 6     transfer peer: 0 may transfer unsigned, 1 must sign with
///               the SHA-256 key
///     bit 7     ordinary queries over TCP instead of UDP
///
/// The verdict RFC 8945 5.2 prescribes is worked out from the plan alone,
/// and every reply is checked against it with a MAC computed here, not by
/// the code under test: a valid request gets replies whose MACs chain from
/// the request's (5.3.1); a refused one gets NOTAUTH with the right error,
/// unsigned or signed as 5.3.2 says, and no records; a peer that must sign
/// never sees zone data without a valid signature. Shared by the libFuzzer
/// entry point (Fuzz/tsig.swift) and the regression tests.
public enum TSIGCheck {
    static let now = WireCheck.tsigNow
    static let fudge = UInt64(TSIGRecord.defaultFudge)

    static let sha256Key = WireCheck.key
    static let sha512Key = try! TSIGKey(
        name: "sha512-key", algorithm: "hmac-sha512",
        base64Secret: "c2hhNTEyLXNlY3JldC1zaGE1MTItc2VjcmV0LXNoYTUxMi1zZWNyZXQtc2hhNTEyLXNlY3JldC1zaGE1MTItcw==")
    static let wrongSecret = try! TSIGKey(name: "transfer-key", algorithm: "hmac-sha256",
                                          base64Secret: "bm90LXRoZS1zZWNyZXQtbm90LXRoZS1zZWNyZXQtbm8=")
    static let unknownKey = try! TSIGKey(name: "nobody-key", algorithm: "hmac-sha256",
                                         base64Secret: "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=")

    static let responder: TransferResponder = {
        let policy = TransferPolicy(rules: [
            .init(prefix: AddressPrefix("127.0.0.0/8")!, keyName: nil),
            .init(prefix: AddressPrefix("192.0.2.0/24")!, keyName: sha256Key.name),
        ], keys: [sha256Key, sha512Key])
        return TransferResponder(policy: policy, log: WireCheck.responder.log)
    }()
    static let signedQueries = SignedQueryResponder(engine: WireCheck.engine, keys: [sha256Key, sha512Key])

    /// What RFC 8945 5.2 makes of the plan.
    enum Verdict: Equatable {
        case valid(TSIGKey)
        case refused(TSIGError)
    }

    struct Plan {
        var signer: TSIGKey
        var timeSigned: UInt64
        var truncated: Bool
        var flipped: Bool
        var peerMustSign: Bool
        var overTCP: Bool

        init(_ byte: UInt8) {
            signer = [sha256Key, sha512Key, wrongSecret, unknownKey][Int(byte & 3)]
            timeSigned = [now, now - fudge, now + fudge + 1, now - 86_400][Int(byte >> 2 & 3)]
            truncated = byte & 0x10 != 0
            flipped = byte & 0x20 != 0
            peerMustSign = byte & 0x40 != 0
            overTCP = byte & 0x80 != 0
        }

        var verdict: Verdict {
            if signer.name == unknownKey.name { return .refused(.badKey) }
            if signer == wrongSecret || flipped { return .refused(.badSig) }
            if (timeSigned > now ? timeSigned - now : now - timeSigned) > fudge { return .refused(.badTime) }
            if truncated { return .refused(.badTrunc) }
            return .valid(signer)
        }
    }

    public static func check(_ input: [UInt8]) -> String? {
        guard input.count >= 1 + DNSHeader.size else { return nil }
        let plan = Plan(input[0])
        let message = Array(input[1...])
        let (request, requestMAC) = sign(message, plan: plan)
        // A message whose counts disagree with its records hides our TSIG
        // from the parser: then only the no-leak rules below apply.
        let ours = TSIG.find(in: request).map { $0.offset == message.count } ?? false
        let verdict: Verdict? = ours ? plan.verdict : nil

        let isTransfer = request.withUnsafeBytes { TransferResponder.isTransferQuery($0) }
        if isTransfer {
            return transferCheck(request, requestMAC: requestMAC, plan: plan, verdict: verdict)
        }
        return queryCheck(request, requestMAC: requestMAC, plan: plan, verdict: verdict)
    }

    /// The request as the plan signs it, and the MAC it carries.
    static func sign(_ message: [UInt8], plan: Plan) -> (request: [UInt8], mac: [UInt8]) {
        let id = UInt16(message[0]) << 8 | UInt16(message[1])
        var record = TSIGRecord(keyName: plan.signer.name, algorithm: plan.signer.algorithm.name,
                                timeSigned: plan.timeSigned, fudge: TSIGRecord.defaultFudge, mac: [], originalID: id,
                                error: 0, otherData: [])
        var mac = hmac(plan.signer, message + variables(record, timersOnly: false))
        if plan.truncated { mac = Array(mac.prefix(mac.count / 2)) }
        if plan.flipped { mac[mac.count - 1] ^= 0x01 }
        record.mac = mac
        return (append(record, to: message), mac)
    }

    static func queryCheck(_ request: [UInt8], requestMAC: [UInt8], plan: Plan, verdict: Verdict?) -> String? {
        let transport: Transport = plan.overTCP ? .tcp : .udp
        let response = plan.overTCP ? WireCheck.tcpBuffer : WireCheck.udpBuffer
        let client = plan.overTCP ? WireCheck.tcpClient : WireCheck.udpClient
        let outcome = request.withUnsafeBytes { bytes -> QueryOutcome in
            let first = WireCheck.engine.respond(to: bytes, into: response, transport: transport,
                                                 snapshot: WireCheck.snapshot, scratch: WireCheck.scratch,
                                                 now: WireCheck.now, client: client, cookies: WireCheck.cookies)
            guard first.disposition == .needsTSIG else { return first }
            return signedQueries.respond(to: bytes, into: response, transport: transport,
                                         snapshot: WireCheck.snapshot, scratch: WireCheck.scratch,
                                         now: Int64(now) * 1000, client: client, cookies: WireCheck.cookies)
        }
        guard outcome.disposition == .answered else { return nil }
        guard outcome.length >= DNSHeader.size, outcome.length <= response.count else {
            return "reply length \(outcome.length)"
        }
        let reply = Array(UnsafeRawBufferPointer(rebasing: response[0..<outcome.length]))
        guard let verdict else { return nil }
        if reply[0] != request[0] || reply[1] != request[1] { return "reply does not echo the id" }
        return replyCheck(reply, verdict: verdict, requestMAC: requestMAC, priorMAC: nil, what: "query reply")
    }

    static func transferCheck(_ request: [UInt8], requestMAC: [UInt8], plan: Plan, verdict: Verdict?) -> String? {
        let peer = plan.peerMustSign ? IPAddress(ipv4: (192, 0, 2, 1)) : IPAddress(ipv4: (127, 0, 0, 1))
        let messages = responder.respond(to: request, peer: peer, snapshot: WireCheck.snapshot, now: now)
        guard !messages.isEmpty else { return "transfer produced no message" }
        var authorized = !plan.peerMustSign
        if case .valid(let key) = verdict, key == sha256Key { authorized = true }
        if case .refused = verdict { authorized = false }
        if !authorized {
            for (index, message) in messages.enumerated() where counts(message).answers != 0 {
                return "transfer message \(index) carries records for an unauthorized request"
            }
        }
        guard let verdict else { return nil }
        if case .refused = verdict, messages.count != 1 { return "refused transfer sent \(messages.count) messages" }
        var prior: [UInt8]? = nil
        for (index, message) in messages.enumerated() {
            if let problem = replyCheck(message, verdict: verdict, requestMAC: requestMAC, priorMAC: prior,
                                        what: "transfer message \(index)") { return problem }
            prior = TSIG.find(in: message)?.record.mac
        }
        return nil
    }

    /// One reply against the verdict. `priorMAC` is the previous message's
    /// MAC in a transfer (nil for the first).
    static func replyCheck(_ reply: [UInt8], verdict: Verdict, requestMAC: [UInt8], priorMAC: [UInt8]?,
                           what: String) -> String? {
        guard reply.count >= DNSHeader.size else { return "\(what) of \(reply.count) bytes" }
        guard let found = TSIG.find(in: reply) else {
            // Written before the TSIG is looked at (a malformed request,
            // another opcode): an error that carries nothing is fine.
            let records = counts(reply)
            if reply[3] & 0x0F != 0, records.answers == 0, records.authorities == 0 { return nil }
            return "\(what) carries no TSIG"
        }
        let record = found.record
        switch verdict {
        case .valid(let key):
            guard record.error == 0 else { return "\(what): TSIG error \(record.error) for a valid request" }
            guard record.keyName == key.name, record.timeSigned == now else { return "\(what): wrong key or time" }
            guard macVerifies(reply, found: found, key: key, prior: priorMAC ?? requestMAC,
                              subsequent: priorMAC != nil)
            else { return "\(what): MAC does not verify" }
        case .refused(let error):
            guard reply[3] & 0x0F == UInt8(ResponseCode.notAuth.rawValue) else {
                return "\(what): rcode \(reply[3] & 0x0F) for TSIG error \(error)"
            }
            guard record.error == error.rawValue else { return "\(what): TSIG error \(record.error), not \(error)" }
            let records = counts(reply)
            guard records.answers == 0, records.authorities == 0 else { return "\(what): refusal carries records" }
            switch error {
            case .badKey, .badSig:
                guard record.mac.isEmpty else { return "\(what): \(error) reply signed" }
            default:
                // BADTIME and BADTRUNC: the request's MAC verified, so the reply is signed over it.
                let key = record.keyName == sha512Key.name ? sha512Key : sha256Key
                guard macVerifies(reply, found: found, key: key, prior: requestMAC, subsequent: false) else {
                    return "\(what): \(error) reply MAC does not verify"
                }
            }
        }
        return nil
    }

    /// RFC 8945 4.3 and 5.3.1, computed here: the prior MAC (length first),
    /// the message as before its TSIG with the original ID, then all TSIG
    /// variables, or the timers only for a transfer's later messages.
    static func macVerifies(_ message: [UInt8], found: TSIG.Found, key: TSIGKey, prior: [UInt8],
                            subsequent: Bool) -> Bool {
        var unsigned = Array(message[0..<found.offset])
        let additionals = UInt16(unsigned[10]) << 8 | UInt16(unsigned[11])
        guard additionals > 0 else { return false }
        unsigned[10] = UInt8((additionals - 1) >> 8)
        unsigned[11] = UInt8((additionals - 1) & 0xFF)
        unsigned[0] = UInt8(found.record.originalID >> 8)
        unsigned[1] = UInt8(found.record.originalID & 0xFF)
        let digest = be16(prior.count) + prior + unsigned + variables(found.record, timersOnly: subsequent)
        return hmac(key, digest) == found.record.mac
    }

    static func variables(_ record: TSIGRecord, timersOnly: Bool) -> [UInt8] {
        let time = record.timeSigned
        let timers = [UInt8(truncatingIfNeeded: time >> 40), UInt8(truncatingIfNeeded: time >> 32),
                      UInt8(truncatingIfNeeded: time >> 24), UInt8(truncatingIfNeeded: time >> 16),
                      UInt8(truncatingIfNeeded: time >> 8), UInt8(truncatingIfNeeded: time)] + be16(Int(record.fudge))
        if timersOnly { return timers }
        return record.keyName.lowercased.wire + be16(255) + [0, 0, 0, 0] + record.algorithm.lowercased.wire + timers
            + be16(Int(record.error)) + be16(record.otherData.count) + record.otherData
    }

    static func hmac(_ key: TSIGKey, _ data: [UInt8]) -> [UInt8] {
        let secret = SymmetricKey(data: key.secret)
        switch key.algorithm {
        case .hmacSHA256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: secret))
        case .hmacSHA512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: secret))
        }
    }

    /// The TSIG record appended as the last additional record, ARCOUNT + 1.
    static func append(_ record: TSIGRecord, to message: [UInt8]) -> [UInt8] {
        let rdata = record.rdata
        var bytes = message + record.keyName.lowercased.wire + be16(250) + be16(255) + [0, 0, 0, 0]
            + be16(rdata.count) + rdata
        let additionals = UInt16(bytes[10]) << 8 | UInt16(bytes[11])
        bytes[10] = UInt8((additionals &+ 1) >> 8)
        bytes[11] = UInt8((additionals &+ 1) & 0xFF)
        return bytes
    }

    static func counts(_ message: [UInt8]) -> (answers: Int, authorities: Int) {
        guard message.count >= DNSHeader.size else { return (0, 0) }
        return (Int(message[6]) << 8 | Int(message[7]), Int(message[8]) << 8 | Int(message[9]))
    }

    static func be16(_ value: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)] }
}
