import Crypto
import DNSWire
import Foundation

/// A shared secret for TSIG (RFC 8945).
public struct TSIGKey: Sendable, Equatable {
    public enum Algorithm: String, Sendable, CaseIterable {
        case hmacSHA256 = "hmac-sha256"
        case hmacSHA512 = "hmac-sha512"

        /// The algorithm's name as it appears in TSIG records.
        public var name: DomainName { try! DomainName(rawValue + ".") }

        /// Length of a full MAC: the hash's output size.
        public var macLength: Int {
            switch self {
            case .hmacSHA256: return 32
            case .hmacSHA512: return 64
            }
        }

        /// The shortest secret accepted: the hash's output size (RFC 8945 section 6).
        public var minimumSecretLength: Int { macLength }
    }

    public var name: DomainName
    public var algorithm: Algorithm
    public var secret: [UInt8]

    /// Why a key is refused.
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case unknownAlgorithm(String)
        case badName(String)
        /// Not base64, or empty.
        case badSecret
        /// Shorter than the hash's output (RFC 8945 6).
        case shortSecret(bytes: Int, algorithm: Algorithm)

        public var description: String {
            switch self {
            case .unknownAlgorithm(let name): return "algorithm '\(name)' is not hmac-sha256 or hmac-sha512"
            case .badName(let name): return "'\(name)' is not a domain name"
            case .badSecret: return "the secret is not base64"
            case .shortSecret(let bytes, let algorithm):
                return "the secret is \(bytes) bytes; \(algorithm.rawValue) needs at least \(algorithm.minimumSecretLength) "
                    + "(RFC 8945 section 6; e.g. from tsig-keygen -a \(algorithm.rawValue))"
            }
        }
    }

    /// A key whose secret is at least as long as the hash's output.
    public init(name: DomainName, algorithm: Algorithm, secret: [UInt8]) throws(Refusal) {
        guard secret.count >= algorithm.minimumSecretLength else {
            throw .shortSecret(bytes: secret.count, algorithm: algorithm)
        }
        self.name = name.lowercased
        self.algorithm = algorithm
        self.secret = secret
    }

    /// Parses a base64 secret, as `tsig-keygen` and `keymgr` print them.
    public init(name: String, algorithm: String, base64Secret: String) throws(Refusal) {
        guard let parsedAlgorithm = Algorithm(rawValue: algorithm.lowercased()) else {
            throw .unknownAlgorithm(algorithm)
        }
        guard let secret = Data(base64Encoded: base64Secret), !secret.isEmpty else { throw .badSecret }
        guard let parsedName = try? DomainName(name) else { throw .badName(name) }
        try self.init(name: parsedName, algorithm: parsedAlgorithm, secret: Array(secret))
    }

    func mac(_ data: [UInt8]) -> [UInt8] {
        let key = SymmetricKey(data: secret)
        switch algorithm {
        case .hmacSHA256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: key))
        case .hmacSHA512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: key))
        }
    }
}

/// TSIG error codes (RFC 8945 4.3), carried in the TSIG record.
public enum TSIGError: UInt16, Sendable {
    case none = 0
    case badSig = 16
    case badKey = 17
    case badTime = 18
    case badTrunc = 22
}

/// The RDATA of a TSIG record.
public struct TSIGRecord: Sendable, Equatable {
    public var keyName: DomainName
    public var algorithm: DomainName
    public var timeSigned: UInt64
    public var fudge: UInt16
    public var mac: [UInt8]
    public var originalID: UInt16
    public var error: UInt16
    public var otherData: [UInt8]

    /// Clock skew allowed by default (RFC 8945 10: 300 seconds).
    public static let defaultFudge: UInt16 = 300

    public init(keyName: DomainName, algorithm: DomainName, timeSigned: UInt64, fudge: UInt16, mac: [UInt8],
                originalID: UInt16, error: UInt16, otherData: [UInt8]) {
        self.keyName = keyName
        self.algorithm = algorithm
        self.timeSigned = timeSigned
        self.fudge = fudge
        self.mac = mac
        self.originalID = originalID
        self.error = error
        self.otherData = otherData
    }

    /// Parses TSIG RDATA (names are never compressed in TSIG).
    public init?(keyName: DomainName, rdata: [UInt8]) {
        let parsed: TSIGRecord? = rdata.withUnsafeBytes { raw in
            var reader = WireReader(raw)
            guard let algorithm = reader.readName(), let high = reader.readUInt16(), let low = reader.readUInt32(),
                let fudge = reader.readUInt16(), let macSize = reader.readUInt16(),
                let mac = reader.readSlice(Int(macSize)), let originalID = reader.readUInt16(),
                let error = reader.readUInt16(), let otherLength = reader.readUInt16(),
                let other = reader.readSlice(Int(otherLength)), reader.remaining == 0
            else { return nil }
            return TSIGRecord(keyName: keyName, algorithm: algorithm, timeSigned: UInt64(high) << 32 | UInt64(low),
                              fudge: fudge, mac: Array(mac), originalID: originalID, error: error,
                              otherData: Array(other))
        }
        guard let parsed else { return nil }
        self = parsed
    }

    public var rdata: [UInt8] {
        var bytes = algorithm.lowercased.wire
        bytes += TSIG.uint48(timeSigned)
        bytes += be16(fudge) + be16(UInt16(mac.count)) + mac + be16(originalID) + be16(error)
        bytes += be16(UInt16(otherData.count)) + otherData
        return bytes
    }

    /// The "TSIG variables" digested after the message (RFC 8945 4.3.3).
    func variables(timersOnly: Bool) -> [UInt8] {
        let timers = TSIG.uint48(timeSigned) + be16(fudge)
        if timersOnly { return timers }
        return keyName.lowercased.wire + be16(RecordClass.any.rawValue) + [0, 0, 0, 0] + algorithm.lowercased.wire
            + timers + be16(error) + be16(UInt16(otherData.count)) + otherData
    }
}

func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
