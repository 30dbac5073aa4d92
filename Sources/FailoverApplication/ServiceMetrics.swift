import CoreMetrics
import FailoverCore

/// The low-rate events of the failover service and the control channel
/// (journal syncs, snapshot builds, switches, control requests), reported
/// through swift-metrics. The daemon backs it with a Prometheus registry;
/// `disabled` drops everything. Never used per DNS query: those counts live in
/// `ServingCounters`.
public final class ServiceMetrics: Sendable {
    /// Metric names, shared with the exposition and the README.
    public enum Name {
        public static let journalSync = "failoverd_journal_fsync_seconds"
        public static let snapshotBuild = "failoverd_snapshot_build_seconds"
        public static let switches = "failoverd_switches_total"
        public static let controlRequests = "failoverd_control_requests_total"
    }

    /// Reports nothing (tests, or metrics off).
    public static let disabled = ServiceMetrics(factory: NOOPMetricsHandler.instance)

    private let factory: any MetricsFactory
    private let journalSync: CoreMetrics.Timer
    private let snapshotBuild: CoreMetrics.Timer
    private let switchesScheduled: CoreMetrics.Counter
    private let switchesDone: CoreMetrics.Counter
    private let switchesCancelled: CoreMetrics.Counter

    public init(factory: any MetricsFactory) {
        self.factory = factory
        journalSync = Timer(label: Name.journalSync, dimensions: [], factory: factory)
        snapshotBuild = Timer(label: Name.snapshotBuild, dimensions: [], factory: factory)
        // Made up front so a scrape shows all three at zero before the first switch.
        switchesScheduled = Counter(label: Name.switches, dimensions: [("event", "scheduled")], factory: factory)
        switchesDone = Counter(label: Name.switches, dimensions: [("event", "done")], factory: factory)
        switchesCancelled = Counter(label: Name.switches, dimensions: [("event", "cancelled")], factory: factory)
    }

    /// One journal append made durable (write and fsync) in `duration`.
    public func journalSynced(_ duration: Duration) {
        journalSync.recordNanoseconds(duration.nanoseconds)
    }

    /// Runs `build` (a snapshot build) and records how long it took.
    public func measureSnapshotBuild<T>(_ build: () -> T) -> T {
        let start = ContinuousClock.now
        let result = build()
        snapshotBuild.recordNanoseconds((ContinuousClock.now - start).nanoseconds)
        return result
    }

    /// Counts the switch events among committed model events.
    public func record(_ events: [ModelEvent]) {
        for event in events {
            switch event {
            case .switchScheduled: switchesScheduled.increment()
            case .switchDone: switchesDone.increment()
            case .switchCancelled: switchesCancelled.increment()
            default: break
            }
        }
    }

    /// One control request answered: `op` is the operation's wire name
    /// (`invalid` when the line could not be decoded), `result` is `ok` or the
    /// error code. Both come from closed sets, so the label space is bounded.
    public func controlRequest(op: String, result: String) {
        Counter(label: Name.controlRequests, dimensions: [("op", op), ("result", result)], factory: factory)
            .increment()
    }
}

extension Duration {
    /// Whole nanoseconds, saturating (a duration of centuries is not a real measurement).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole &+ attoseconds / 1_000_000_000
    }
}
