import DNSWire
import Foundation
import Testing
import ZoneTransfer

@Suite struct TSIGTests {
    let key = try! TSIGKey(name: "transfer-key", algorithm: "hmac-sha256",
                           base64Secret: "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=")
    let query = Message.query(try! DomainName("example.test"), .axfr, id: 77).serialize()

    func signedQuery(at time: UInt64, with key: TSIGKey? = nil) -> [UInt8] {
        TSIG.sign(query, key: key ?? self.key, priorMAC: nil, now: time, subsequent: false).message
    }

    @Test func aSignedRequestVerifies() throws {
        let signed = signedQuery(at: 1_800_000_000)
        let found = try #require(TSIG.find(in: signed))
        #expect(found.record.keyName.description == "transfer-key.")
        #expect(found.record.mac.count == 32)
        guard case .valid(let used, let mac) = TSIG.verify(signed, found: found, keys: [key], now: 1_800_000_100) else {
            Issue.record("valid request refused")
            return
        }
        #expect(used == key)
        #expect(mac == found.record.mac)
    }

    @Test func aTamperedRequestIsBADSIG() throws {
        var signed = signedQuery(at: 1_800_000_000)
        signed[13] ^= 0x20  // change the case of one question letter
        let found = try #require(TSIG.find(in: signed))
        guard case .failed(let failure) = TSIG.verify(signed, found: found, keys: [key], now: 1_800_000_000) else {
            Issue.record("tampered request accepted")
            return
        }
        #expect(failure.error == .badSig)
    }

    @Test func anUnknownKeyIsBADKEYAndAStaleClockBADTIME() throws {
        let other = try! TSIGKey(name: "other", algorithm: "hmac-sha256", base64Secret: "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItb3Q=")
        let unknown = signedQuery(at: 1_800_000_000, with: other)
        if case .failed(let failure) = TSIG.verify(unknown, found: TSIG.find(in: unknown)!, keys: [key],
                                                   now: 1_800_000_000) {
            #expect(failure.error == .badKey)
        } else {
            Issue.record("unknown key accepted")
        }
        let stale = signedQuery(at: 1_800_000_000)
        if case .failed(let failure) = TSIG.verify(stale, found: TSIG.find(in: stale)!, keys: [key],
                                                   now: 1_800_000_301) {
            #expect(failure.error == .badTime)
            #expect(failure.key != nil, "BADTIME replies are signed with the key")
        } else {
            Issue.record("request outside the fudge accepted")
        }
    }
}

/// RFC 8945 section 6: a secret shorter than the hash's output is refused.
@Suite struct TSIGKeyLengthTests {
    static func base64(_ count: Int) -> String { [UInt8](repeating: 0x5A, count: count).base64 }

    @Test(arguments: [(TSIGKey.Algorithm.hmacSHA256, 32), (.hmacSHA512, 64)])
    func theSecretIsAtLeastTheHashOutput(algorithm: TSIGKey.Algorithm, minimum: Int) throws {
        #expect(algorithm.minimumSecretLength == minimum)
        let key = try TSIGKey(name: "k", algorithm: algorithm.rawValue, base64Secret: Self.base64(minimum))
        #expect(key.secret.count == minimum)
        #expect(throws: TSIGKey.Refusal.shortSecret(bytes: minimum - 1, algorithm: algorithm)) {
            try TSIGKey(name: "k", algorithm: algorithm.rawValue, base64Secret: Self.base64(minimum - 1))
        }
    }

    @Test func otherRefusals() {
        #expect(throws: TSIGKey.Refusal.unknownAlgorithm("hmac-md5")) {
            try TSIGKey(name: "k", algorithm: "hmac-md5", base64Secret: Self.base64(32))
        }
        #expect(throws: TSIGKey.Refusal.badSecret) { try TSIGKey(name: "k", algorithm: "hmac-sha256", base64Secret: "%%") }
        #expect(TSIGKey.Refusal.shortSecret(bytes: 16, algorithm: .hmacSHA256).description.contains("at least 32"))
    }
}

extension Array where Element == UInt8 {
    fileprivate var base64: String { Data(self).base64EncodedString() }
}
