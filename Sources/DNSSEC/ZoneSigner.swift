import DNSWire

/// Signs RRsets of one zone with one key over one validity window.
public struct ZoneSigner: Sendable {
    /// The zone origin, which is the signer name of every RRSIG.
    public let origin: DomainName
    public let key: SigningKey
    /// The key's DNSKEY record (a combined signing key).
    public let dnskey: DNSKEYRecord
    /// Seconds since the epoch, modulo 2^32 as RFC 4034 3.1.5 keeps them.
    public let inception: UInt32
    public let expiration: UInt32

    public init(origin: DomainName, key: SigningKey, inception: UInt32, expiration: UInt32) {
        self.origin = origin.lowercased
        self.key = key
        dnskey = DNSKEYRecord(key: key)
        self.inception = inception
        self.expiration = expiration
    }

    /// The key tag every signature carries.
    public var keyTag: UInt16 { dnskey.keyTag }

    /// The RRSIG over the RRset of `owner` and `type`; `ttl` is its original TTL.
    public func sign(owner: DomainName, type: RecordType, ttl: UInt32, rdatas: [[UInt8]]) throws(DNSSECError)
        -> RRSIGRecord
    {
        try RRSIGRecord.sign(owner: owner, type: type, ttl: ttl, rdatas: rdatas, key: key, keyTag: keyTag,
                             signer: origin, inception: inception, expiration: expiration)
    }
}
