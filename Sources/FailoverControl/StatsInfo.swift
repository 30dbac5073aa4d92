/// The result of `stats`: counts of the state, the control channel, and the daemon's named counters.
///
/// ```json
/// {"apps":12,"connections":2,"counters":{"dns.queries":1042},"groups":7,"pending":1,"serial":42,
///  "started":"2026-11-27T21:00:00.000Z","tombstones":3,"uptime_seconds":3600,"watchers":1}
/// ```
///
/// `counters` holds whatever monotonic counters the daemon keeps (queries, responses by rcode, drops, ...),
/// named `area.thing`; their set may grow without a protocol version change.
public struct StatsInfo: Sendable, Hashable {
    public var serial: UInt32
    public var apps: Int
    public var groups: Int
    /// Groups with a pending switch.
    public var pending: Int
    public var tombstones: Int
    /// Open control connections, this one included.
    public var connections: Int
    /// Connections that sent `watch`.
    public var watchers: Int
    /// Start time, milliseconds since the Unix epoch.
    public var started: Int64
    /// Whole seconds since `started`.
    public var uptimeSeconds: Int64
    public var counters: [String: UInt64]

    public init(
        serial: UInt32, apps: Int, groups: Int, pending: Int, tombstones: Int, connections: Int, watchers: Int,
        started: Int64, now: Int64, counters: [String: UInt64] = [:]
    ) {
        self.serial = serial
        self.apps = apps
        self.groups = groups
        self.pending = pending
        self.tombstones = tombstones
        self.connections = connections
        self.watchers = watchers
        self.started = started
        self.uptimeSeconds = max(0, (now - started) / 1_000)
        self.counters = counters
    }

    public var json: JSONValue {
        .object([
            "serial": JSONValue(serial), "apps": JSONValue(apps), "groups": JSONValue(groups),
            "pending": JSONValue(pending), "tombstones": JSONValue(tombstones),
            "connections": JSONValue(connections), "watchers": JSONValue(watchers),
            "started": .string(RFC3339.string(fromMilliseconds: started)),
            "uptime_seconds": JSONValue(uptimeSeconds),
            "counters": .object(counters.mapValues { JSONValue($0) }),
        ])
    }
}
