import DNSWire

#if canImport(Glibc)
import Glibc
#endif

/// An address prefix such as `192.0.2.0/24` or `2001:db8::/32`.
public struct AddressPrefix: Sendable, Equatable, CustomStringConvertible {
    public var bytes: [UInt8]
    public var length: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let address = Self.parseAddress(String(parts[0])) else { return nil }
        let maximum = address.count * 8
        if parts.count == 2 {
            guard let length = Int(parts[1]), length >= 0, length <= maximum else { return nil }
            self.length = length
        } else {
            self.length = maximum
        }
        bytes = address
    }

    /// 4 or 16 bytes for an IPv4 or IPv6 address in text form.
    public static func parseAddress(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    public func contains(_ address: [UInt8]) -> Bool {
        var candidate = address
        // An IPv4-mapped IPv6 peer (::ffff:a.b.c.d) matches IPv4 prefixes.
        if bytes.count == 4, candidate.count == 16, candidate[0..<10].allSatisfy({ $0 == 0 }),
            candidate[10] == 0xFF, candidate[11] == 0xFF
        {
            candidate = Array(candidate[12...])
        }
        guard candidate.count == bytes.count else { return false }
        var remaining = length
        for index in bytes.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if candidate[index] & mask != bytes[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String {
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        var text = [CChar](repeating: 0, count: 64)
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &text, 64) }
        let end = text.firstIndex(of: 0) ?? text.endIndex
        return String(decoding: text[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/\(length)"
    }
}

/// Who may transfer the zone: address prefixes, each optionally requiring a
/// TSIG key; and the keys known.
public struct TransferPolicy: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        public var prefix: AddressPrefix
        /// When set, a request must be signed with this key.
        public var keyName: DomainName?

        public init(prefix: AddressPrefix, keyName: DomainName?) {
            self.prefix = prefix
            self.keyName = keyName?.lowercased
        }
    }

    public var rules: [Rule]
    public var keys: [TSIGKey]
    /// TTL cap of groups with a pending switch, in transfers.
    public var pendingTTL: UInt32

    public init(rules: [Rule] = [], keys: [TSIGKey] = [], pendingTTL: UInt32 = 5) {
        self.rules = rules
        self.keys = keys
        self.pendingTTL = pendingTTL
    }

    /// True when a peer may transfer, given the key that validly signed its
    /// request (nil when unsigned).
    public func allows(peer: [UInt8], signedWith key: DomainName?) -> Bool {
        rules.contains { rule in
            guard rule.prefix.contains(peer) else { return false }
            guard let required = rule.keyName else { return true }
            return key == required
        }
    }
}
