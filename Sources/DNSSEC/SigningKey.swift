import Crypto
import Foundation

/// A private key that signs RRsets, with the public half a DNSKEY carries.
// Unchecked: swift-crypto's key types are not marked Sendable, but they are immutable values that only
// read their BoringSSL key when signing, which BoringSSL allows from several threads at once.
public struct SigningKey: @unchecked Sendable {
    public let algorithm: DNSSECAlgorithm
    private let key: Key

    private enum Key {
        case p256(P256.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
    }

    /// A new random key.
    public static func generate(_ algorithm: DNSSECAlgorithm) -> SigningKey {
        switch algorithm {
        case .ecdsaP256SHA256: SigningKey(algorithm: algorithm, key: .p256(P256.Signing.PrivateKey()))
        case .ed25519: SigningKey(algorithm: algorithm, key: .ed25519(Curve25519.Signing.PrivateKey()))
        }
    }

    private init(algorithm: DNSSECAlgorithm, key: Key) {
        self.algorithm = algorithm
        self.key = key
    }

    /// The key from its raw private bytes: P-256's scalar or Ed25519's seed, 32 bytes each (what a BIND
    /// private-key file's `PrivateKey:` field holds, base64-decoded).
    public init(algorithm: DNSSECAlgorithm, privateKey bytes: [UInt8]) throws(DNSSECError) {
        guard bytes.count == 32 else {
            throw DNSSECError("a \(algorithm) private key is 32 bytes, not \(bytes.count)")
        }
        do {
            switch algorithm {
            case .ecdsaP256SHA256: key = .p256(try P256.Signing.PrivateKey(rawRepresentation: bytes))
            case .ed25519: key = .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: bytes))
            }
        } catch {
            throw DNSSECError("not a valid \(algorithm) private key: \(error)")
        }
        self.algorithm = algorithm
    }

    /// The raw private bytes (to keep the key in the state directory).
    public var privateKeyBytes: [UInt8] {
        switch key {
        case .p256(let key): Array(key.rawRepresentation)
        case .ed25519(let key): Array(key.rawRepresentation)
        }
    }

    /// The public key as a DNSKEY's Public Key field holds it.
    public var publicKey: [UInt8] {
        switch key {
        case .p256(let key): Array(key.publicKey.rawRepresentation)
        case .ed25519(let key): Array(key.publicKey.rawRepresentation)
        }
    }

    /// The signature of `data` as an RRSIG's Signature field holds it (64 bytes for both algorithms).
    public func sign(_ data: [UInt8]) throws(DNSSECError) -> [UInt8] {
        do {
            switch key {
            case .p256(let key): return Array(try key.signature(for: data).rawRepresentation)
            case .ed25519(let key): return Array(try key.signature(for: data))
            }
        } catch {
            throw DNSSECError("signing failed: \(error)")
        }
    }
}

/// Checks a signature against a DNSKEY's public key (for tests and self-checks; validators do this).
public enum SignatureCheck {
    public static func isValid(_ signature: [UInt8], of data: [UInt8], publicKey: [UInt8],
                               algorithm: DNSSECAlgorithm) -> Bool {
        switch algorithm {
        case .ecdsaP256SHA256:
            guard let key = try? P256.Signing.PublicKey(rawRepresentation: publicKey),
                  let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature)
            else { return false }
            return key.isValidSignature(parsed, for: data)
        case .ed25519:
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
            return key.isValidSignature(signature, for: data)
        }
    }
}

/// Why a DNSSEC key, record or signature could not be made.
public struct DNSSECError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
