import DNSWire


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
    /// request (nil when unsigned); a peer without an IP address never may.
    public func allows(peer: IPAddress?, signedWith key: DomainName?) -> Bool {
        guard let peer else { return false }
        return rules.contains { rule in
            guard rule.prefix.contains(peer) else { return false }
            guard let required = rule.keyName else { return true }
            return key == required
        }
    }
}
