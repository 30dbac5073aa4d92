import CoreMetrics

/// Health check metrics, through swift-metrics like ``ServiceMetrics``: checks by type and result, how long a
/// check took, and automatic switches by reason. The per-state app gauge is set at scrape time.
public final class HealthMetrics: Sendable {
    public enum Name {
        public static let checks = "failoverd_health_checks_total"
        public static let checkDuration = "failoverd_health_check_seconds"
        public static let autoSwitches = "failoverd_auto_switches_total"
    }

    public static let disabled = HealthMetrics(factory: NOOPMetricsHandler.instance)

    private let factory: any MetricsFactory
    private let duration: CoreMetrics.Timer
    private let failovers: CoreMetrics.Counter
    private let failbacks: CoreMetrics.Counter

    public init(factory: any MetricsFactory) {
        self.factory = factory
        duration = Timer(label: Name.checkDuration, dimensions: [], factory: factory)
        // Made up front so a scrape shows both at zero before the first automatic switch.
        failovers = Counter(label: Name.autoSwitches, dimensions: [("reason", "failover")], factory: factory)
        failbacks = Counter(label: Name.autoSwitches, dimensions: [("reason", "failback")], factory: factory)
    }

    /// One check of one address: `type` is http, https or tcp, `passed` its outcome.
    public func check(type: String, passed: Bool, duration: Duration) {
        Counter(label: Name.checks, dimensions: [("type", type), ("result", passed ? "pass" : "fail")],
                factory: factory).increment()
        self.duration.recordNanoseconds(duration.nanoseconds)
    }

    /// One automatic switch committed.
    public func autoSwitch(failback: Bool) {
        (failback ? failbacks : failovers).increment()
    }
}
