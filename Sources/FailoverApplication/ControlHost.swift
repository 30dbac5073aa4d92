import FailoverControl

/// What the control dispatcher asks of the process that hosts it: the
/// transport figures `stats` reports, and `reload`. The daemon conforms; a
/// test can stand in for it.
public protocol ControlHost: AnyObject, Sendable {
    /// Open control connections, watchers, and the DNS counters by name.
    func controlStatistics() async -> ControlStatistics
    /// Re-reads the configuration's zone file and TTL (`reload`).
    func reload() async throws(ControlError) -> JSONValue
}

/// The transport side of `stats`.
public struct ControlStatistics: Sendable {
    public var connections: Int
    public var watchers: Int
    public var counters: [String: UInt64]

    public init(connections: Int = 0, watchers: Int = 0, counters: [String: UInt64] = [:]) {
        self.connections = connections
        self.watchers = watchers
        self.counters = counters
    }
}
