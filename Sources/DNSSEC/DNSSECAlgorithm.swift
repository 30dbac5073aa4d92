/// The signing algorithms failoverd signs with (IANA "DNS Security Algorithm
/// Numbers"): the two that RFC 8624 recommends for signing, both with keys
/// and signatures of fixed size.
public enum DNSSECAlgorithm: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// ECDSA on P-256 with SHA-256 (RFC 6605).
    case ecdsaP256SHA256 = 13
    /// Ed25519 (RFC 8080).
    case ed25519 = 15

    /// The configuration spelling (`ecdsap256sha256`, `ed25519`), as BIND and Knot write it.
    public init?(name: String) {
        switch name.lowercased() {
        case "ecdsap256sha256": self = .ecdsaP256SHA256
        case "ed25519": self = .ed25519
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .ecdsaP256SHA256: "ECDSAP256SHA256"
        case .ed25519: "ED25519"
        }
    }

    /// Bytes of a public key in a DNSKEY: P-256's x and y (RFC 6605 4), or Ed25519's 32 (RFC 8080 3).
    public var publicKeySize: Int { self == .ecdsaP256SHA256 ? 64 : 32 }

    /// Bytes of a signature in an RRSIG: r and s (RFC 6605 4), or Ed25519's 64 (RFC 8080 4).
    public var signatureSize: Int { 64 }
}
