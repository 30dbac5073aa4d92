import DNSWire
import Foundation

/// A signing key in BIND's pair of key files, the form `dnssec-keygen`
/// writes and Knot's `keymgr import-bind` reads: `K<zone>+<alg>+<tag>.key`
/// holds the DNSKEY record, `K<zone>+<alg>+<tag>.private` the private key
/// (format v1.3: `Algorithm:`, `PrivateKey:` in base64, then times as
/// `YYYYMMDDHHMMSS` UTC).
public enum BINDKeyFile {
    /// The file name both files share before `.key` and `.private`: `Kexample.com.+013+12345`.
    public static func baseName(zone: DomainName, dnskey: DNSKEYRecord) -> String {
        let algorithm = String(dnskey.algorithm.rawValue)
        let tag = String(dnskey.keyTag)
        return "K\(zone.lowercased.description)+" + String(repeating: "0", count: 3 - algorithm.count) + algorithm
            + "+" + String(repeating: "0", count: 5 - tag.count) + tag
    }

    /// The `.private` file. `created` (seconds since the epoch) is written as Created, Publish and Activate.
    public static func privateText(_ key: SigningKey, created: Int64) -> String {
        let time = timestamp(created)
        return """
            Private-key-format: v1.3
            Algorithm: \(key.algorithm.rawValue) (\(key.algorithm))
            PrivateKey: \(Data(key.privateKeyBytes).base64EncodedString())
            Created: \(time)
            Publish: \(time)
            Activate: \(time)

            """
    }

    /// The `.key` file: a comment and the DNSKEY record at the zone apex.
    public static func publicText(zone: DomainName, dnskey: DNSKEYRecord) -> String {
        let kind = dnskey.flags & DNSKEYRecord.secureEntryPointFlag != 0 ? "key-signing" : "zone-signing"
        return "; This is a \(kind) key, keyid \(dnskey.keyTag), for \(zone.lowercased.description)\n"
            + "\(zone.lowercased.description) IN DNSKEY \(dnskey.flags) \(DNSKEYRecord.protocolValue) "
            + "\(dnskey.algorithm.rawValue) \(Data(dnskey.publicKey).base64EncodedString())\n"
    }

    /// Reads a `.private` file of an algorithm failoverd signs with. A
    /// P-256 scalar shorter than 32 bytes (older BIND dropped leading zero
    /// bytes) is padded on the left.
    public static func readPrivate(_ text: String) throws(DNSSECError) -> SigningKey {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let tag = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            fields[tag] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard let format = fields["private-key-format"], format.hasPrefix("v1.") else {
            throw DNSSECError("not a BIND private key file (no \"Private-key-format: v1.x\" line)")
        }
        guard let algorithmField = fields["algorithm"],
            let number = UInt8(algorithmField.prefix { $0.isNumber }),
            let algorithm = DNSSECAlgorithm(rawValue: number)
        else {
            throw DNSSECError("the key's algorithm is not one failoverd signs with (ECDSAP256SHA256 or ED25519): "
                + (fields["algorithm"] ?? "none given"))
        }
        guard let encoded = fields["privatekey"], let data = Data(base64Encoded: encoded) else {
            throw DNSSECError("the key file has no PrivateKey line in base64")
        }
        var bytes = Array(data)
        if algorithm == .ecdsaP256SHA256, bytes.count < 32 {
            bytes = [UInt8](repeating: 0, count: 32 - bytes.count) + bytes
        }
        return try SigningKey(algorithm: algorithm, privateKey: bytes)
    }

    /// Reads the DNSKEY record of a `.key` file (comments, owner, TTL and
    /// class before it; the base64 key may be split by spaces).
    public static func readPublic(_ text: String) throws(DNSSECError) -> DNSKEYRecord {
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix(";") {
            let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
            guard let type = words.firstIndex(where: { $0.uppercased() == "DNSKEY" }), words.count >= type + 5,
                let flags = UInt16(words[type + 1]), let number = UInt8(words[type + 3]),
                let algorithm = DNSSECAlgorithm(rawValue: number),
                let key = Data(base64Encoded: words[(type + 4)...].joined())
            else { continue }
            guard key.count == algorithm.publicKeySize else {
                throw DNSSECError("the DNSKEY's public key is \(key.count) bytes, not \(algorithm.publicKeySize)")
            }
            return DNSKEYRecord(flags: flags, algorithm: algorithm, publicKey: Array(key))
        }
        throw DNSSECError("no DNSKEY record of an algorithm failoverd signs with in the key file")
    }

    /// `YYYYMMDDHHMMSS` in UTC.
    static func timestamp(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)" + two(parts.tm_mon + 1) + two(parts.tm_mday) + two(parts.tm_hour)
            + two(parts.tm_min) + two(parts.tm_sec)
    }
}
