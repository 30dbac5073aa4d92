/// Resolves the hostname of a web head for health checks: its addresses and how long they may be kept.
/// Blocking: called on the checker's resolver thread, never on an event loop.
public protocol HostResolver: Sendable {
    func resolve(_ name: String) throws -> ResolvedHost
}

/// What a name resolved to.
public struct ResolvedHost: Sendable, Hashable {
    /// IPv4 and IPv6 addresses in presentation form, without duplicates.
    public var addresses: [String]
    /// The smallest TTL of the records that gave them (seconds); nil when the source has none (/etc/hosts).
    public var ttl: UInt32?

    public init(addresses: [String], ttl: UInt32?) {
        self.addresses = addresses
        self.ttl = ttl
    }
}

/// The resolved hostnames of the checker, each kept as long as its TTL says, within
/// ``minimumSeconds`` and ``maximumSeconds``. Not thread-safe: the checker keeps it on its event loop.
struct ResolvedHosts {
    /// A TTL of 0 (or 1) still waits this long before the name is asked again.
    static let minimumSeconds: UInt32 = 2
    /// A long TTL is cut to this, so a changed record is followed within five minutes.
    static let maximumSeconds: UInt32 = 300
    /// How long an answer without a TTL (the hosts file, via getaddrinfo) is kept.
    static let unknownTTLSeconds: UInt32 = 5

    private var entries: [String: (addresses: [String], expires: Int64)] = [:]

    /// The addresses of `name` if still fresh at `now` (ms).
    func fresh(_ name: String, now: Int64) -> [String]? {
        guard let entry = entries[name], entry.expires > now else { return nil }
        return entry.addresses
    }

    /// Keeps `resolved` for its TTL (clamped); returns when it expires (ms). Drops expired entries first, so
    /// names no app uses any more do not accumulate.
    @discardableResult
    mutating func store(_ name: String, _ resolved: ResolvedHost, now: Int64) -> Int64 {
        entries = entries.filter { $0.value.expires > now }
        let seconds = Self.keep(ttl: resolved.ttl)
        let expires = now + Int64(seconds) * 1000
        entries[name] = (resolved.addresses, expires)
        return expires
    }

    /// Seconds an answer with `ttl` is kept.
    static func keep(ttl: UInt32?) -> UInt32 {
        guard let ttl else { return unknownTTLSeconds }
        return min(max(ttl, minimumSeconds), maximumSeconds)
    }

    var count: Int { entries.count }
}
