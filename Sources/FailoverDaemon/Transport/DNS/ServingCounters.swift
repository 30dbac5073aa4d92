import Atomics

/// Counters the serving paths bump; read by stats, metrics and the watchdog.
public final class ServingCounters: Sendable {
    public let udpAnswered = ManagedAtomic<Int>(0)
    public let udpDropped = ManagedAtomic<Int>(0)
    public let tcpAnswered = ManagedAtomic<Int>(0)
    public let tcpDropped = ManagedAtomic<Int>(0)
    public let tcpConnectionsRefused = ManagedAtomic<Int>(0)
    /// Answers withheld or truncated by response rate limiting.
    public let rateLimitedDropped = ManagedAtomic<Int>(0)
    public let rateLimitedSlipped = ManagedAtomic<Int>(0)
    /// Answered queries by transport, type and rcode, and truncated answers.
    public let queries = QueryCounters()

    public init() {}

    @inline(__always)
    func recordUDP(answered: Int, dropped: Int) {
        if answered > 0 { udpAnswered.wrappingIncrement(by: answered, ordering: .relaxed) }
        if dropped > 0 { udpDropped.wrappingIncrement(by: dropped, ordering: .relaxed) }
    }
}
