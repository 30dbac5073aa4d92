import FailoverControl
import FailoverCore
import Foundation
import Logging
import NIOConcurrencyHelpers
import ZoneData

/// The failover state machine of the daemon: applies mutations, makes them
/// durable (one fsync shared by every request that arrived meanwhile),
/// publishes the next snapshot before answering, feeds the switch scheduler,
/// and tells watchers what changed.
public actor FailoverService {
    /// What one committed request produced.
    public struct Commit: Sendable {
        public var events: [ModelEvent]
        public var at: Int64
        /// What the request's view closure read from the model right after
        /// its mutation (before later mutations of the same batch), encoded
        /// as one JSON value.
        public var view: [UInt8]?

        /// False when the request asked for what already was (nothing written).
        public var changed: Bool { !events.isEmpty }
    }

    /// Builds a mutation against the current model and the commit time.
    public typealias MutationBuilder = @Sendable (FailoverModel, Int64) throws(FailoverError) -> Mutation
    /// Reads what a reply needs from the model right after the mutation,
    /// encoded as one JSON value.
    public typealias CommitView = @Sendable (FailoverModel, [ModelEvent]) -> [UInt8]?
    /// Receives the outcome of a submitted mutation.
    public typealias Completion = @Sendable (Result<Commit, FailoverError>) -> Void

    /// A submitted mutation waiting for the next flush.
    struct Request: Sendable {
        var build: MutationBuilder
        var view: CommitView?
        /// Who asked, for the audit line and `watch`; nil for the daemon's own changes (a switch falling due).
        var author: ChangeAuthor?
        var completion: Completion
    }

    /// Told of every durable batch: its events, who caused each (parallel to the events), the model after it
    /// and the commit time.
    public typealias Listener = @Sendable ([ModelEvent], [ChangeAuthor?], FailoverModel, Int64) -> Void

    /// Journal records after which the state is compacted into a new checkpoint
    /// when the configuration sets none: 50,000 or the model's size (apps +
    /// groups), whichever is more, so compaction stays a fixed share of the
    /// write work however large the model grows.
    public static let defaultCompactionThreshold = 50_000
    /// Set by `compact-after`; nil for the automatic threshold above.
    private var compactionThreshold: Int?

    public func setCompactionThreshold(_ records: Int?) {
        compactionThreshold = records.map { max(1, $0) }
    }

    /// Mutated in place: nothing outside the actor keeps a copy, so a change
    /// never copies the model's stores.
    private var model: FailoverModel
    private let store: StateStore
    private var zone: StaticZone
    private var ttl: UInt32
    public nonisolated let defaultDelayMilliseconds: Int64
    private let snapshots: SnapshotStore
    private let logger: Logger
    private let auditTrail: AuditTrail
    private let clock: @Sendable () -> Int64
    private let metrics: ServiceMetrics
    private var scheduler: SwitchScheduler? = nil
    /// Requests in arrival order; filled without awaiting the actor, so one
    /// connection's pipelined requests commit in the order they were sent.
    private nonisolated let inbox = NIOLockedValueBox(Inbox())
    private var listeners: [UUID: Listener] = [:]
    private var batchObservers: [@Sendable () -> Void] = []
    /// Told of every published snapshot: old, new, the groups whose records
    /// may differ, and whether the static zone changed (transfers, NOTIFY).
    public typealias PublishObserver = @Sendable (ZoneSnapshot, ZoneSnapshot, Set<UInt32>, Bool) -> Void
    private var publishObserver: PublishObserver? = nil
    public private(set) var committedMutations = 0
    public private(set) var failedCommits = 0

    struct Inbox {
        var requests: [Request] = []
        var flushScheduled = false
    }

    /// Counts for status lines and metrics.
    public struct Summary: Sendable {
        public var apps: Int
        public var groups: Int
        public var pendingSwitches: Int
        public var tombstones: Int
        public var serial: UInt32
    }

    /// Opens the state directory (replaying the journal) and publishes the
    /// first snapshot. Throws with the file and offset on corruption.
    ///
    /// `scanned` gives, once the state is read, what
    /// ``SnapshotBuilder/scan(_:zone:ttl:)`` read from the same directory (a
    /// fast start; it may wait for that scan): it is kept instead of a
    /// snapshot built anew when the loaded state is exactly the one it was
    /// read from (the same serial and group count, an empty journal).
    public init(
        stateDirectory: String, zone: StaticZone, ttl: UInt32, defaultDelaySeconds: Double, snapshots: SnapshotStore,
        logger: Logger, clock: @escaping @Sendable () -> Int64 = WallClock.preciseMilliseconds,
        metrics: ServiceMetrics = .disabled, compactAfter: Int? = nil, scanned: @Sendable () -> ZoneSnapshot? = { nil }
    ) throws(FailoverError) {
        try self.init(stateDirectory: stateDirectory, zone: zone, ttl: ttl, defaultDelaySeconds: defaultDelaySeconds,
                      snapshots: snapshots, logger: logger, clock: clock, metrics: metrics, compactAfter: compactAfter,
                      io: .system, scanned: scanned)
    }

    /// As above, with the journal's system calls given (tests inject failures).
    package init(
        stateDirectory: String, zone: StaticZone, ttl: UInt32, defaultDelaySeconds: Double, snapshots: SnapshotStore,
        logger: Logger, clock: @escaping @Sendable () -> Int64, metrics: ServiceMetrics, compactAfter: Int?,
        io: FileIO, scanned: @Sendable () -> ZoneSnapshot? = { nil }
    ) throws(FailoverError) {
        let started = ContinuousClock.now
        let startedCPU = Self.threadCPUSeconds()
        let (store, model, warnings) = try StateStore.open(directory: stateDirectory, io: io)
        let opened = ContinuousClock.now
        for warning in warnings { logger.warning("\(warning)") }
        self.store = store
        self.model = model
        self.zone = zone
        self.ttl = ttl
        self.defaultDelayMilliseconds = Int64(defaultDelaySeconds * 1000)
        self.snapshots = snapshots
        self.logger = logger
        self.auditTrail = AuditTrail(logger: logger)
        self.clock = clock
        self.metrics = metrics
        self.compactionThreshold = compactAfter.map { max(1, $0) }
        if store.journalRecords == 0, let scanned = scanned(), scanned.zone === zone, scanned.groups.ttl == ttl,
            scanned.serial == SnapshotBuilder.servedSerial(zone: zone, model: model),
            scanned.groups.count == model.groups.count
        {
            // Already served: building it again would cost seconds and a second copy at a million groups.
            snapshots.publish(scanned)
        } else {
            snapshots.publish(metrics.measureSnapshotBuild {
                SnapshotBuilder.build(model: model, zone: zone, ttl: ttl)
            })
        }
        let seconds = { (from: ContinuousClock.Instant, to: ContinuousClock.Instant) in
            String(format: "%.2f", (to - from) / .seconds(1))
        }
        let now = ContinuousClock.now
        logger.info(
            "state loaded from \(stateDirectory): \(model.apps.count) apps, \(model.groups.count) groups, \(model.pendingCount) pending switches, \(store.journalRecords) journal records (\(seconds(started, now)) s: read \(seconds(started, opened)) s, served zone built \(seconds(opened, now)) s; \(String(format: "%.2f", Self.threadCPUSeconds() - startedCPU)) s of CPU)")
    }

    /// CPU time of the calling thread, for the load's log line (on a busy machine the wall time says little).
    public static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Starts the scheduler; switches that fell due while the daemon was
    /// down apply now.
    public func startScheduler() async {
        // Switches that fell due while the daemon was down apply first, so
        // the first control read after a start never shows one as pending.
        let overdue = model.dueSwitches(atOrBefore: clock()).compactMap { group in
            group.pending.map { (due: $0.due, key: group.address) }
        }
        if !overdue.isEmpty { await applyDue(overdue) }
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

    /// Returns once every audit line of the changes so far is written (a clean stop).
    public func drainAudit() {
        auditTrail.drain()
    }

    /// Runs `body` on the current model inside the actor; the model is not
    /// copied (a copy kept past a change would make that change copy it all).
    public func read<T: Sendable>(_ body: @Sendable (FailoverModel) throws(ControlError) -> T) throws(ControlError)
        -> T
    {
        try body(model)
    }

    public var summary: Summary {
        Summary(apps: model.apps.count, groups: model.groups.count, pendingSwitches: model.pendingCount,
                tombstones: model.tombstones.count, serial: SnapshotBuilder.servedSerial(zone: zone, model: model))
    }

    public var staticZone: StaticZone { zone }

    public var journalRecords: Int { store.journalRecords }

    /// Replaces the static zone and TTL (reload) and republishes.
    public func replaceZone(_ zone: StaticZone, ttl: UInt32) {
        self.zone = zone
        self.ttl = ttl
        let old = snapshots.load()
        let new = metrics.measureSnapshotBuild {
            SnapshotBuilder.build(model: model, zone: zone, ttl: ttl)
        }
        snapshots.publish(new)
        publishObserver?(old, new, [], true)
    }

    public func setPublishObserver(_ observer: @escaping PublishObserver) {
        publishObserver = observer
    }

    /// Registers a listener for committed events; returns its key. Listeners
    /// run inside the actor and must not keep the model.
    public func addListener(_ listener: @escaping Listener) -> UUID {
        let key = UUID()
        listeners[key] = listener
        return key
    }

    public func removeListener(_ key: UUID) {
        listeners[key] = nil
    }

    /// Registers `observer` to run inside the actor after the completions of
    /// every batch, so a caller can act once per commit rather than once per
    /// request (the control server writes a connection's replies together).
    public func addBatchObserver(_ observer: @escaping @Sendable () -> Void) {
        batchObservers.append(observer)
    }

    /// Queues one mutation without waiting: requests submitted one after
    /// another commit in that order. `completion` runs once the change is on
    /// disk and in the published snapshot (read-your-writes), or with the
    /// reason it was refused (nothing changed then).
    /// `author` is logged with the change and shown to watchers.
    public nonisolated func submit(
        _ build: @escaping MutationBuilder, view: CommitView? = nil, author: ChangeAuthor? = nil,
        completion: @escaping Completion
    ) {
        let startFlush = inbox.withLockedValue { inbox -> Bool in
            inbox.requests.append(Request(build: build, view: view, author: author, completion: completion))
            defer { inbox.flushScheduled = true }
            return !inbox.flushScheduled
        }
        if startFlush { Task { await self.flush() } }
    }

    /// Applies one mutation, durably; see ``submit(_:view:author:completion:)``.
    public nonisolated func commit(_ build: @escaping MutationBuilder, view: CommitView? = nil) async
        -> Result<Commit, FailoverError>
    {
        await withCheckedContinuation { continuation in
            submit(build, view: view) { continuation.resume(returning: $0) }
        }
    }

    private func takeBatch() -> [Request] {
        inbox.withLockedValue { inbox in
            defer { inbox.requests = [] }
            if inbox.requests.isEmpty { inbox.flushScheduled = false }
            return inbox.requests
        }
    }

    /// Group commit: every request that arrived meanwhile shares one fsync.
    ///
    /// When the batch cannot be made durable, the model goes back to before
    /// the batch and every request of it is answered `unavailable`, whether
    /// it changed something, changed nothing, or was refused: each was
    /// judged against a model holding the batch's earlier changes, so none of
    /// those answers holds any more (a retry is judged afresh).
    private func flush() {
        while true {
            let batch = takeBatch()
            if batch.isEmpty { return }
            let now = clock()
            var undo = FailoverModel.Undo()
            var accepted: [Mutation] = []
            var acceptedAuthors: [ChangeAuthor?] = []
            var results: [Result<Commit, FailoverError>] = []
            var allEvents: [ModelEvent] = []
            var eventAuthors: [ChangeAuthor?] = []
            results.reserveCapacity(batch.count)
            for request in batch {
                do {
                    let mutation = try request.build(model, now)
                    let events = try model.apply(mutation, recordingInto: &undo)
                    if !events.isEmpty {
                        accepted.append(mutation)
                        acceptedAuthors.append(request.author)
                        allEvents += events
                        eventAuthors += repeatElement(request.author, count: events.count)
                    }
                    let view = request.view?(model, events)
                    results.append(.success(Commit(events: events, at: now, view: view)))
                } catch {
                    results.append(.failure(error))
                }
            }
            if !accepted.isEmpty {
                do {
                    let syncStarted = ContinuousClock.now
                    _ = try store.append(accepted)
                    metrics.journalSynced(ContinuousClock.now - syncStarted)
                    committedMutations += accepted.count
                    publish(allEvents)
                } catch {
                    model.revert(undo)
                    failedCommits += accepted.count
                    logger.error("cannot make \(accepted.count) change(s) durable: \(error.message)")
                    results = Array(repeating: .failure(error), count: batch.count)
                    allEvents = []
                    accepted = []
                }
            }
            for (index, request) in batch.enumerated() {
                request.completion(results[index])
            }
            for observer in batchObservers { observer() }
            auditTrail.record(accepted, by: acceptedAuthors)
            if !allEvents.isEmpty {
                for listener in listeners.values { listener(allEvents, eventAuthors, model, now) }
            }
            let threshold = compactionThreshold
                ?? max(Self.defaultCompactionThreshold, model.groups.count + model.apps.count)
            if store.journalRecords >= threshold {
                compact()
            }
        }
    }

    /// Publishes the snapshot after a durable batch, replacing only what its
    /// events touched.
    private func publish(_ events: [ModelEvent]) {
        let old = snapshots.load()
        let (new, touched) = metrics.measureSnapshotBuild {
            SnapshotBuilder.update(old, events: events, model: model)
        }
        snapshots.publish(new)
        syncScheduler(events)
        publishObserver?(old, new, touched, false)
        logSwitches(events)
    }

    /// Logs what moves traffic, with the group in the journal field GROUP=
    /// (`journalctl -u failoverd GROUP=414-262-781`).
    private func logSwitches(_ events: [ModelEvent]) {
        for event in events {
            switch event {
            case .switchScheduled(let group):
                guard let pending = group.pending else { continue }
                let by = pending.requestedBy.map { ", requested by \($0)" } ?? ""
                logger.info("switch scheduled: group \(group.address) to \(pending.to.rawValue), due \(RFC3339.string(fromMilliseconds: pending.due))\(by)",
                            metadata: ["group": "\(group.address)"])
            case .switchDone(let group, let reason):
                let app = group.app(for: group.active).map { " (\($0))" } ?? ""
                logger.info("switch done (\(reason.rawValue)): group \(group.address) now \(group.active.rawValue)\(app)",
                            metadata: ["group": "\(group.address)"])
            case .switchCancelled(let group, let cancelled):
                logger.info("switch cancelled: group \(group.address) stays \(group.active.rawValue) (was to \(cancelled.to.rawValue))",
                            metadata: ["group": "\(group.address)"])
            case .groupDeleted(let address):
                logger.info("group deleted: \(address)", metadata: ["group": "\(address)"])
            default:
                continue
            }
        }
    }

    /// Writes a new checkpoint file and starts an empty journal.
    public func compact() {
        do {
            try store.compact(model: model)
            logger.info("state compacted: \(model.groups.count) groups in the checkpoint, journal emptied")
        } catch {
            logger.error("compaction failed (state is safe): \(error.message)")
        }
    }

    private func syncScheduler(_ events: [ModelEvent]) {
        guard let scheduler else { return }
        for event in events {
            switch event {
            case .switchScheduled(let group), .switchDone(let group, _), .switchCancelled(let group, _),
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
        // Submitted together, switches falling due at once share one fsync.
        let results = await withTaskGroup(of: (Int, Result<Commit, FailoverError>).self) { tasks in
            for (index, item) in due.enumerated() {
                tasks.addTask {
                    (index, await self.commit { _, now throws(FailoverError) in
                        .switchApply(address: item.key, expectedDue: item.due, now: now)
                    })
                }
            }
            var results: [(Int, Result<Commit, FailoverError>)] = []
            for await result in tasks { results.append(result) }
            return results
        }
        var retry: [(due: Int64, key: GroupAddress)] = []
        for (index, result) in results {
            let item = due[index]
            switch result {
            case .success(let commit) where commit.changed:
                logger.debug("switch of \(item.key) applied \(commit.at - item.due) ms after due",
                             metadata: ["group": "\(item.key)"])
            case .success:
                break
            case .failure(let error):
                if error.code == .unavailable {
                    logger.error("switch of \(item.key) could not be saved, retrying: \(error.message)")
                    retry.append(item)
                }
            }
        }
        guard !retry.isEmpty else { return }
        // Not durable yet: try again shortly; the switches stay due.
        try? await Task.sleep(for: .milliseconds(500))
        for item in retry { scheduler?.set(item.key, due: item.due) }
    }
}
