import FailoverApplication
import Prometheus
import QueryEngine

/// Everything `GET /metrics` shows, in the Prometheus text format (0.0.4).
///
/// Two sources: a Prometheus registry behind swift-metrics for the low-rate
/// events (`serviceMetrics`) and the state gauges, and the serving counters,
/// which the DNS paths bump with relaxed atomics and which are only read and
/// written out here, at scrape time.
public final class MetricsExporter: Sendable {
    /// What the gauges show, read once per scrape.
    public struct State: Sendable {
        public var apps = 0
        public var groups = 0
        public var pendingSwitches = 0
        public var serial: UInt32 = 0
        public var tcpConnections = 0
        /// Queries the kernel dropped for a full UDP socket buffer.
        public var udpReceiveBufferDrops = 0
        /// Apps by combined health state (`up`, `down`, `unknown`).
        public var health: [String: Int] = [:]
        /// Groups whose active app is down with nothing healthy to switch to.
        public var failoverBlocked = 0

        public init(apps: Int = 0, groups: Int = 0, pendingSwitches: Int = 0, serial: UInt32 = 0,
                    tcpConnections: Int = 0, udpReceiveBufferDrops: Int = 0) {
            self.udpReceiveBufferDrops = udpReceiveBufferDrops
            self.apps = apps
            self.groups = groups
            self.pendingSwitches = pendingSwitches
            self.serial = serial
            self.tcpConnections = tcpConnections
        }
    }

    /// Journal syncs take about a millisecond on an SSD and tens on a busy disk.
    static let journalSyncBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1),
    ]
    /// A snapshot build is linear in apps and groups: well under a millisecond for a
    /// few thousand groups, about a second for millions.
    static let snapshotBuildBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .microseconds(2_500_000), .seconds(5),
    ]

    /// A check on a LAN answers in about a millisecond; the top bucket is past any configurable timeout but one.
    static let healthCheckBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
        .seconds(10), .seconds(30),
    ]

    public let registry: PrometheusCollectorRegistry
    /// The sink the failover service and the control server report to.
    public let serviceMetrics: ServiceMetrics
    /// The sink of the health checker and the health policy.
    public let healthMetrics: HealthMetrics
    private let appHealth: [String: Gauge]
    private let failoverBlocked: Gauge
    private let counters: ServingCounters
    private let state: @Sendable () async -> State
    private let apps: Gauge
    private let groups: Gauge
    private let pendingSwitches: Gauge
    private let serial: Gauge
    private let tcpConnections: Gauge

    public init(counters: ServingCounters, state: @escaping @Sendable () async -> State) {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            ServiceMetrics.Name.journalSync: Self.journalSyncBuckets,
            ServiceMetrics.Name.snapshotBuild: Self.snapshotBuildBuckets,
            HealthMetrics.Name.checkDuration: Self.healthCheckBuckets,
        ]
        self.registry = registry
        self.serviceMetrics = ServiceMetrics(factory: factory)
        self.healthMetrics = HealthMetrics(factory: factory)
        self.counters = counters
        self.state = state
        func gauge(_ name: String, _ help: String) -> Gauge {
            let descriptor = MetricNameDescriptor(namespace: "failoverd", metricName: name, unitName: "", helpText: help)
            return registry.makeGauge(descriptor: descriptor)
        }
        apps = gauge("apps", "Applications registered.")
        groups = gauge("groups", "Failover groups.")
        pendingSwitches = gauge("pending_switches", "Groups with a scheduled switch not yet done.")
        serial = gauge("zone_serial", "SOA serial served now.")
        tcpConnections = gauge("tcp_connections", "DNS TCP connections open.")
        appHealth = Dictionary(uniqueKeysWithValues: ["up", "down", "unknown"].map { state in
            (state, registry.makeGauge(
                descriptor: MetricNameDescriptor(namespace: "failoverd", metricName: "app_health", unitName: "",
                                                 helpText: "Health-checked apps by combined health state."),
                labels: [("state", state)]))
        })
        failoverBlocked = gauge("failover_blocked_groups",
                                "Groups with auto_failover whose active app is down and whose other app is not up.")
    }

    /// The whole exposition, as served.
    public func render() async -> [UInt8] {
        let now = await state()
        apps.set(Double(now.apps))
        groups.set(Double(now.groups))
        pendingSwitches.set(Double(now.pendingSwitches))
        serial.set(Double(now.serial))
        tcpConnections.set(Double(now.tcpConnections))
        for (state, gauge) in appHealth { gauge.set(Double(now.health[state] ?? 0)) }
        failoverBlocked.set(Double(now.failoverBlocked))
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        buffer += Self.servingExposition(counters).utf8
        buffer += Self.kernelDropsExposition(now.udpReceiveBufferDrops).utf8
        return buffer
    }

    /// Queries the kernel dropped before a UDP worker could read them.
    static func kernelDropsExposition(_ drops: Int) -> String {
        "# HELP failoverd_udp_receive_buffer_drops_total Queries dropped by the kernel: a UDP socket buffer was full (overload).\n"
            + "# TYPE failoverd_udp_receive_buffer_drops_total counter\n"
            + "failoverd_udp_receive_buffer_drops_total \(drops)\n"
    }

    /// The serving counters in the text format: answered queries by transport,
    /// query type and rcode (only the combinations seen), dropped packets,
    /// truncated answers and refused TCP connections.
    public static func servingExposition(_ counters: ServingCounters) -> String {
        let totals = counters.queries.totals()
        var text = """
            # HELP failoverd_dns_queries_total DNS queries answered, by transport, query type and response code.
            # TYPE failoverd_dns_queries_total counter

            """
        for transport in [Transport.udp, .tcp] {
            let name = transport == .udp ? "udp" : "tcp"
            for (bucket, type) in QueryCounters.typeNames.enumerated() {
                for rcode in 0..<QueryCounters.rcodeCount {
                    let count = totals.queries(transport: transport, typeBucket: bucket, rcode: rcode)
                    guard count > 0 else { continue }
                    text += """
                        failoverd_dns_queries_total{transport="\(name)",qtype="\(type)",\
                        rcode="\(QueryCountTotals.rcodeLabel(rcode))"} \(count)

                        """
                }
            }
        }
        text += """
            # HELP failoverd_dns_dropped_total Packets not answered: too short, a response, an unreadable question.
            # TYPE failoverd_dns_dropped_total counter
            failoverd_dns_dropped_total{transport="udp"} \(counters.udpDropped.load(ordering: .relaxed))
            failoverd_dns_dropped_total{transport="tcp"} \(counters.tcpDropped.load(ordering: .relaxed))
            # HELP failoverd_dns_truncated_total Answers sent with TC set (the client retries over TCP).
            # TYPE failoverd_dns_truncated_total counter
            failoverd_dns_truncated_total \(totals.truncated(transport: .udp) + totals.truncated(transport: .tcp))
            # HELP failoverd_tcp_connections_refused_total DNS TCP connections closed at once: over tcp.max-connections.
            # TYPE failoverd_tcp_connections_refused_total counter
            failoverd_tcp_connections_refused_total \(counters.tcpConnectionsRefused.load(ordering: .relaxed))
            # HELP failoverd_rrl_limited_total UDP answers held back by response rate limiting, by action.
            # TYPE failoverd_rrl_limited_total counter
            failoverd_rrl_limited_total{action="dropped"} \(counters.rateLimitedDropped.load(ordering: .relaxed))
            failoverd_rrl_limited_total{action="slipped"} \(counters.rateLimitedSlipped.load(ordering: .relaxed))

            """
        return text
    }
}
