import FailoverCore
import Foundation
import Logging
import ZoneData

/// The failover state machine of the daemon: applies mutations, makes them
/// durable (one fsync shared by every request that arrived meanwhile),
/// publishes the next snapshot before answering, feeds the switch scheduler,
/// and tells watchers what changed.
public actor FailoverService {
    /// What one committed request produced.
    public struct Commit: Sendable {
        /// The model right after this request's mutation.
        public var model: FailoverModel
        public var events: [ModelEvent]
        public var at: Int64
        /// False when the request asked for what already was (nothing written).
        public var changed: Bool
    }

    /// Builds a mutation against the current model and the commit time.
    public typealias MutationBuilder = @Sendable (FailoverModel, Int64) throws(FailoverError) -> Mutation

    /// Journal records after which the state is compacted into a new snapshot.
    public static let defaultCompactionThreshold = 50_000
    private var compactionThreshold = FailoverService.defaultCompactionThreshold

    public func setCompactionThreshold(_ records: Int) {
        compactionThreshold = max(1, records)
    }

    private var model: FailoverModel
    private let store: StateStore
    private var zone: StaticZone
    private var ttl: UInt32
    public nonisolated let defaultDelayMilliseconds: Int64
    private let snapshots: SnapshotStore
    private let logger: Logger
    private let clock: @Sendable () -> Int64
    private let metrics: ServiceMetrics
    private var scheduler: SwitchScheduler? = nil
    private var pending: [(MutationBuilder, CheckedContinuation<Result<Commit, FailoverError>, Never>)] = []
    private var flushing = false
    private var listeners: [UUID: @Sendable ([ModelEvent], FailoverModel, Int64) -> Void] = [:]
    /// Told of every published snapshot: old, new, the groups whose records
    /// may differ, and whether the static zone changed (transfers, NOTIFY).
    public typealias PublishObserver = @Sendable (ZoneSnapshot, ZoneSnapshot, Set<UInt32>, Bool) -> Void
    private var publishObserver: PublishObserver? = nil
    public private(set) var committedMutations = 0
    public private(set) var failedCommits = 0

    /// Opens the state directory (replaying the journal) and publishes the
    /// first snapshot. Throws with the file and offset on corruption.
    public init(
        stateDirectory: String, zone: StaticZone, ttl: UInt32, defaultDelaySeconds: Double, snapshots: SnapshotStore,
        logger: Logger, clock: @escaping @Sendable () -> Int64 = WallClock.preciseMilliseconds,
        metrics: ServiceMetrics = .disabled
    ) throws(FailoverError) {
        let (store, model, warnings) = try StateStore.open(directory: stateDirectory)
        for warning in warnings { logger.warning("\(warning)") }
        self.store = store
        self.model = model
        self.zone = zone
        self.ttl = ttl
        self.defaultDelayMilliseconds = Int64(defaultDelaySeconds * 1000)
        self.snapshots = snapshots
        self.logger = logger
        self.clock = clock
        self.metrics = metrics
        snapshots.publish(metrics.measureSnapshotBuild { SnapshotBuilder.build(model: model, zone: zone, ttl: ttl) })
        logger.info(
            "state loaded from \(stateDirectory): \(model.apps.count) apps, \(model.groups.count) groups, \(model.pendingSwitches.count) pending switches, \(store.journalRecords) journal records")
    }

    /// Starts the scheduler; switches that fell due while the daemon was
    /// down apply now.
    public func startScheduler() {
        let scheduler = SwitchScheduler(clock: clock) { [weak self] due in
            guard let self else { return }
            Task { await self.applyDue(due) }
        }
        for group in model.pendingSwitches {
            if let pending = group.pending { scheduler.set(group.address, due: pending.due) }
        }
        scheduler.start()
        self.scheduler = scheduler
    }

    public func stopScheduler() {
        scheduler?.stop()
        scheduler = nil
    }

    /// The current model (a value: later commits do not change it).
    public var current: FailoverModel { model }

    public var staticZone: StaticZone { zone }

    public var journalRecords: Int { store.journalRecords }

    /// Replaces the static zone and TTL (reload) and republishes.
    public func replaceZone(_ zone: StaticZone, ttl: UInt32) {
        self.zone = zone
        self.ttl = ttl
        let old = snapshots.load()
        let new = metrics.measureSnapshotBuild { SnapshotBuilder.build(model: model, zone: zone, ttl: ttl) }
        snapshots.publish(new)
        publishObserver?(old, new, [], true)
    }

    public func setPublishObserver(_ observer: @escaping PublishObserver) {
        publishObserver = observer
    }

    /// True when an address collides with a static name.
    public func isReserved(_ address: GroupAddress) -> Bool {
        SnapshotBuilder.isStaticName(address, zone: zone)
    }

    /// Registers a listener for committed events; returns its key.
    public func addListener(_ listener: @escaping @Sendable ([ModelEvent], FailoverModel, Int64) -> Void) -> UUID {
        let key = UUID()
        listeners[key] = listener
        return key
    }

    public func removeListener(_ key: UUID) {
        listeners[key] = nil
    }

    /// Applies one mutation, durably. Returns after the change is on disk and
    /// in the published snapshot (read-your-writes), or with the reason it
    /// was refused (nothing changed then).
    public func commit(_ build: @escaping MutationBuilder) async -> Result<Commit, FailoverError> {
        await withCheckedContinuation { continuation in
            pending.append((build, continuation))
            if !flushing {
                flushing = true
                Task { self.flush() }
            }
        }
    }

    private func flush() {
        while !pending.isEmpty {
            let batch = pending
            pending = []
            let now = clock()
            var working = model
            var accepted: [Mutation] = []
            var results: [Result<Commit, FailoverError>] = []
            var allEvents: [ModelEvent] = []
            for (build, _) in batch {
                do {
                    let mutation = try build(working, now)
                    guard try working.validate(mutation) else {
                        results.append(.success(Commit(model: working, events: [], at: now, changed: false)))
                        continue
                    }
                    let events = try working.apply(mutation)
                    accepted.append(mutation)
                    allEvents += events
                    results.append(.success(Commit(model: working, events: events, at: now, changed: true)))
                } catch {
                    results.append(.failure(error))
                }
            }
            if !accepted.isEmpty {
                do {
                    let syncStarted = ContinuousClock.now
                    _ = try store.append(accepted)
                    metrics.journalSynced(ContinuousClock.now - syncStarted)
                    let previous = model
                    model = working
                    committedMutations += accepted.count
                    let old = snapshots.load()
                    let new = metrics.measureSnapshotBuild { SnapshotBuilder.build(model: model, zone: zone, ttl: ttl) }
                    snapshots.publish(new)
                    syncScheduler(allEvents)
                    if let publishObserver {
                        publishObserver(old, new, Self.touchedGroups(allEvents, before: previous, after: model), false)
                    }
                } catch {
                    failedCommits += accepted.count
                    logger.error("cannot make \(accepted.count) change(s) durable: \(error.message)")
                    results = results.map { result in
                        if case .success(let commit) = result, commit.changed { return .failure(error) }
                        return result
                    }
                    allEvents = []
                }
            }
            for (index, (_, continuation)) in batch.enumerated() {
                continuation.resume(returning: results[index])
            }
            if !allEvents.isEmpty {
                for listener in listeners.values { listener(allEvents, model, now) }
            }
            if store.journalRecords >= compactionThreshold {
                compact()
            }
        }
        flushing = false
    }

    /// Groups whose DNS records may have changed with these events.
    static func touchedGroups(_ events: [ModelEvent], before: FailoverModel, after: FailoverModel) -> Set<UInt32> {
        var touched = Set<UInt32>()
        for event in events {
            switch event {
            case .switchScheduled(let group), .switchDone(let group), .switchCancelled(let group, _),
                .groupChanged(let group):
                touched.insert(group.address.value)
            case .groupDeleted(let address):
                touched.insert(address.value)
            case .appChanged(let app):
                for group in before.groups(referencing: app.id) + after.groups(referencing: app.id) {
                    touched.insert(group.address.value)
                }
            case .appRemoved(let id):
                for group in before.groups(referencing: id) { touched.insert(group.address.value) }
            case .statusChanged:
                break
            }
        }
        return touched
    }

    /// Writes a new snapshot file and starts an empty journal.
    public func compact() {
        do {
            try store.compact(model: model)
            logger.info("state compacted: \(model.groups.count) groups in the snapshot, journal emptied")
        } catch {
            logger.error("compaction failed (the journal keeps growing; state is safe): \(error.message)")
        }
    }

    private func syncScheduler(_ events: [ModelEvent]) {
        guard let scheduler else { return }
        for event in events {
            switch event {
            case .switchScheduled(let group), .switchDone(let group), .switchCancelled(let group, _),
                .groupChanged(let group):
                scheduler.set(group.address, due: model.groups[group.address]?.pending?.due)
            case .groupDeleted(let address):
                scheduler.set(address, due: nil)
            default:
                break
            }
        }
    }

    /// Applies switches that fell due (from the scheduler).
    func applyDue(_ due: [(due: Int64, key: GroupAddress)]) async {
        for item in due {
            let result = await commit { _, now throws(FailoverError) in
                .switchApply(address: item.key, expectedDue: item.due, now: now)
            }
            switch result {
            case .success(let commit) where commit.changed:
                if let group = commit.model.groups[item.key] {
                    logger.info("switch done: group \(item.key) now \(group.active.rawValue), \(commit.at - item.due) ms after due")
                }
            case .success:
                break
            case .failure(let error):
                if error.code == .unavailable {
                    // Not durable yet: try again shortly, the switch stays due.
                    logger.error("switch of \(item.key) could not be saved, retrying: \(error.message)")
                    try? await Task.sleep(for: .milliseconds(500))
                    scheduler?.set(item.key, due: item.due)
                }
            }
        }
    }
}
