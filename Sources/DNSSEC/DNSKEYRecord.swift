import Crypto
import DNSWire

/// The RDATA of a DNSKEY record (RFC 4034 2): flags, protocol 3, algorithm, public key.
public struct DNSKEYRecord: Hashable, Sendable {
    /// Zone Key (bit 7): set on every key that signs zone data.
    public static let zoneKeyFlag: UInt16 = 0x0100
    /// Secure Entry Point (bit 15): the key the parent's DS points at (RFC 3757).
    public static let secureEntryPointFlag: UInt16 = 0x0001
    /// A combined signing key: zone key and secure entry point.
    public static let combinedSigningKeyFlags = zoneKeyFlag | secureEntryPointFlag
    /// The Protocol field is always 3 (RFC 4034 2.1.2).
    public static let protocolValue: UInt8 = 3

    public var flags: UInt16
    public var algorithm: DNSSECAlgorithm
    public var publicKey: [UInt8]

    public init(flags: UInt16 = combinedSigningKeyFlags, algorithm: DNSSECAlgorithm, publicKey: [UInt8]) {
        self.flags = flags
        self.algorithm = algorithm
        self.publicKey = publicKey
    }

    /// The DNSKEY of `key`.
    public init(flags: UInt16 = combinedSigningKeyFlags, key: SigningKey) {
        self.init(flags: flags, algorithm: key.algorithm, publicKey: key.publicKey)
    }

    /// Reads DNSKEY RDATA; nil when it is too short, its protocol is not 3, or its algorithm is not one
    /// failoverd signs with.
    public init?(rdata: [UInt8]) {
        guard rdata.count > 4, rdata[2] == Self.protocolValue, let algorithm = DNSSECAlgorithm(rawValue: rdata[3]),
              rdata.count - 4 == algorithm.publicKeySize
        else { return nil }
        self.init(flags: UInt16(rdata[0]) << 8 | UInt16(rdata[1]), algorithm: algorithm, publicKey: Array(rdata[4...]))
    }

    public var rdata: [UInt8] {
        [UInt8(flags >> 8), UInt8(flags & 0xFF), Self.protocolValue, algorithm.rawValue] + publicKey
    }

    /// The key tag (RFC 4034 Appendix B): the RDATA summed as 16-bit words, carries folded in once.
    public var keyTag: UInt16 {
        var sum: UInt32 = 0
        for (index, byte) in rdata.enumerated() {
            sum &+= index & 1 == 0 ? UInt32(byte) << 8 : UInt32(byte)
        }
        sum &+= (sum >> 16) & 0xFFFF
        return UInt16(sum & 0xFFFF)
    }

    /// The DS RDATA the parent zone publishes for this key under `owner` (RFC 4034 5.1.4), digest SHA-256
    /// (type 2, RFC 4509): the digest of the owner name in canonical form and this RDATA.
    public func delegationSigner(owner: DomainName) -> [UInt8] {
        let digest = SHA256.hash(data: owner.lowercased.wire + rdata)
        return [UInt8(keyTag >> 8), UInt8(keyTag & 0xFF), algorithm.rawValue, Self.sha256DigestType] + Array(digest)
    }

    /// Digest type 2 (RFC 4509), the one every validator supports.
    public static let sha256DigestType: UInt8 = 2
}
