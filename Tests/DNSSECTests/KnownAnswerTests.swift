import DNSSEC
import DNSWire
import Foundation
import Testing

/// The published examples: RFC 6605 6.1 (ECDSA P-256) and RFC 8080 6.1
/// (Ed25519), each a private key, its DNSKEY, key tag and DS, and a signed
/// RRset. Ed25519 signatures are deterministic, so that one must come out
/// byte for byte; an ECDSA signature is random, so the published one must
/// verify and a new one must verify too.
@Suite struct KnownAnswerTests {
    static func base64(_ text: String) -> [UInt8] { Array(Data(base64Encoded: text)!) }
    static func hex(_ text: String) -> [UInt8] {
        stride(from: 0, to: text.count, by: 2).map { start in
            let from = text.index(text.startIndex, offsetBy: start)
            return UInt8(text[from..<text.index(from, offsetBy: 2)], radix: 16)!
        }
    }

    struct Example {
        var algorithm: DNSSECAlgorithm
        var zone: String
        var privateKey: String
        var publicKey: String
        var keyTag: UInt16
        var ds: String
    }

    static let p256 = Example(
        algorithm: .ecdsaP256SHA256, zone: "example.net", privateKey: "GU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ=",
        publicKey: "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==",
        keyTag: 55648, ds: "b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17")
    static let ed25519 = Example(
        algorithm: .ed25519, zone: "example.com", privateKey: "ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=",
        publicKey: "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=",
        keyTag: 3613, ds: "3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b")

    @Test(arguments: [p256, ed25519])
    func keyDNSKEYTagAndDS(_ example: Example) throws {
        let key = try SigningKey(algorithm: example.algorithm, privateKey: Self.base64(example.privateKey))
        #expect(key.publicKey == Self.base64(example.publicKey))
        #expect(key.privateKeyBytes == Self.base64(example.privateKey))
        let dnskey = DNSKEYRecord(key: key)
        #expect(dnskey.flags == 257 && dnskey.keyTag == example.keyTag)
        #expect(DNSKEYRecord(rdata: dnskey.rdata) == dnskey)
        let ds = dnskey.delegationSigner(owner: try DomainName(example.zone.uppercased()))
        #expect(ds == [UInt8(example.keyTag >> 8), UInt8(example.keyTag & 0xFF), example.algorithm.rawValue, 2]
            + Self.hex(example.ds))
    }

    /// RFC 6605 6.1: www.example.net. A 192.0.2.1, signed 20100812100439 to 20100909100439.
    @Test func publishedP256SignatureVerifiesAndANewOneToo() throws {
        let key = try SigningKey(algorithm: .ecdsaP256SHA256, privateKey: Self.base64(Self.p256.privateKey))
        let dnskey = DNSKEYRecord(key: key)
        let owner = try DomainName("www.example.net")
        let published = RRSIGRecord(
            typeCovered: .a, algorithm: .ecdsaP256SHA256, labels: 3, originalTTL: 3600, expiration: 1_284_026_679,
            inception: 1_281_607_479, keyTag: 55648, signer: try DomainName("example.net"),
            signature: Self.base64("qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw=="))
        #expect(published.verifies(owner: owner, rdatas: [[192, 0, 2, 1]], key: dnskey))
        #expect(RRSIGRecord(rdata: published.rdata) == published)
        // Any other address, TTL, owner or window breaks it.
        #expect(!published.verifies(owner: owner, rdatas: [[192, 0, 2, 2]], key: dnskey))
        var longer = published
        longer.originalTTL = 3601
        #expect(!longer.verifies(owner: owner, rdatas: [[192, 0, 2, 1]], key: dnskey))
        #expect(!published.verifies(owner: try DomainName("ww.example.net"), rdatas: [[192, 0, 2, 1]], key: dnskey))

        let fresh = try RRSIGRecord.sign(
            owner: owner, type: .a, ttl: 3600, rdatas: [[192, 0, 2, 1]], key: key, keyTag: dnskey.keyTag,
            signer: try DomainName("example.net"), inception: 1_281_607_479, expiration: 1_284_026_679)
        #expect(fresh.labels == 3 && fresh.signature.count == 64 && fresh.signature != published.signature)
        #expect(fresh.verifies(owner: owner, rdatas: [[192, 0, 2, 1]], key: dnskey))
    }

    /// RFC 8080 6.1: example.com. MX 10 mail.example.com., signed 20150729220000 to 20150819220000.
    @Test func ed25519SignatureIsTheExampleByteForByte() throws {
        let key = try SigningKey(algorithm: .ed25519, privateKey: Self.base64(Self.ed25519.privateKey))
        let owner = try DomainName("example.com")
        let mx: [UInt8] = [0, 10] + (try DomainName("mail.example.com")).wire
        let signed = try RRSIGRecord.sign(
            owner: owner, type: .mx, ttl: 3600, rdatas: [mx], key: key, keyTag: 3613, signer: owner,
            inception: 1_438_207_200, expiration: 1_440_021_600)
        #expect(signed.labels == 2)
        #expect(signed.signature == Self.base64(
            "oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg=="),
                "\(Data(signed.signature).base64EncodedString())")
        #expect(signed.verifies(owner: owner, rdatas: [mx], key: DNSKEYRecord(key: key)))
        // Case and order do not change what is signed (RFC 4034 6.2, 6.3).
        let upper: [UInt8] = [0, 10] + (try DomainName("MAIL.Example.COM")).wire
        let again = try RRSIGRecord.sign(
            owner: try DomainName("EXAMPLE.com"), type: .mx, ttl: 3600, rdatas: [upper, upper], key: key,
            keyTag: 3613, signer: try DomainName("Example.Com"), inception: 1_438_207_200, expiration: 1_440_021_600)
        #expect(again == signed)
    }

    @Test func wildcardOwnersCountTheirLabelsWithoutTheStar() throws {
        #expect(RRSIGRecord.labelCount(of: try DomainName("*.example.com")) == 2)
        #expect(RRSIGRecord.labelCount(of: try DomainName("a.example.com")) == 3)
        #expect(RRSIGRecord.labelCount(of: .root) == 0)
    }

    @Test func malformedInputIsRefused() {
        #expect(throws: DNSSECError.self) { try SigningKey(algorithm: .ed25519, privateKey: [1, 2, 3]) }
        #expect(DNSKEYRecord(rdata: [1, 1, 3, 15] + Array(repeating: 0, count: 31)) == nil)
        #expect(DNSKEYRecord(rdata: [1, 1, 2, 15] + Array(repeating: 0, count: 32)) == nil)
        #expect(DNSKEYRecord(rdata: [1, 1, 3, 8] + Array(repeating: 0, count: 32)) == nil)
        #expect(RRSIGRecord(rdata: Array(repeating: 0, count: 18)) == nil)
        #expect(RRSIGRecord(rdata: [0, 1, 15] + Array(repeating: 0, count: 15) + [64]) == nil)
    }
}
