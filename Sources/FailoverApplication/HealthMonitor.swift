import DNSWire
import FailoverControl
import FailoverCore
import Logging
import NIOConcurrencyHelpers

/// One round of checks of one app: what each address of its web head gave.
public struct CheckRound: Sendable {
    /// One address's outcome.
    public struct Outcome: Sendable, Hashable {
        public var address: String
        public var passed: Bool
        /// Why it failed; nil when it passed.
        public var error: String?

        public init(address: String, passed: Bool, error: String?) {
            self.address = address
            self.passed = passed
            self.error = error
        }
    }

    public var outcomes: [Outcome]
    /// Set when the round could not run (the web head's name did not resolve): the round fails.
    public var error: String?

    public init(outcomes: [Outcome], error: String? = nil) {
        self.outcomes = outcomes
        self.error = error
    }

    /// A round passes when at least one address passes.
    public var passed: Bool { outcomes.contains { $0.passed } }
}

/// The health of every checked app and the automatic failover of groups.
///
/// Holds, per app, the daemon's own verdict (``HealthTracker`` over the rounds of ``HealthCheckRunner``) and
/// the fresh verdicts of external checkers (`app.report_health`), combined by ``HealthQuorum``. Every 200 ms
/// when a verdict changed, and every second anyway (for `failback_after_seconds`, damping and expiring
/// verdicts), it asks ``FailoverDecision`` about each group with `auto_failover` and commits the switches it
/// calls for through the ``FailoverService`` (mutation `healthSwitch`, reason `health`). Nothing here is
/// persisted: after a restart the verdicts are re-learned, and no group switches before they exist.
public final class HealthMonitor: Sendable {
    /// The name of the daemon's own checker in `app.get` and for `app.report_health` (refused there).
    public static let localChecker = "local"
    /// Most external checkers kept per app: bounds what reporters can make the daemon hold.
    public static let maxCheckers = 16
    /// How long an external verdict stays fresh when the report gives no `ttl_seconds`.
    public static let defaultReportTTL: UInt64 = 30
    /// Longest `ttl_seconds` accepted: an hour; a verdict older than that is no view of now.
    public static let maxReportTTL: UInt64 = 3600

    struct External: Sendable {
        var state: HealthState
        var reported: Int64
        var expires: Int64
    }

    struct AppHealth: Sendable {
        var hasCheck = false
        var own = HealthTracker()
        var lastRound: Int64?
        var outcomes: [CheckRound.Outcome] = []
        var roundError: String?
        var external: [String: External] = [:]
        var combined = HealthState.unknown
        var since: Int64?
    }

    struct State: Sendable {
        var apps: [AppID: AppHealth] = [:]
        var lastSwitch: [GroupAddress: Int64] = [:]
        var blocked: [GroupAddress: String] = [:]
        var dirty = false
        var listeners: [@Sendable ([ControlEvent]) -> Void] = []
    }

    private let state = NIOLockedValueBox(State())
    private let service: FailoverService
    private let quorum: HealthQuorum
    private let origin: DomainName
    private let logger: Logger
    private let metrics: HealthMetrics
    private let clock: @Sendable () -> Int64
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    public init(service: FailoverService, quorum: HealthQuorum, origin: DomainName, logger: Logger,
                metrics: HealthMetrics = .disabled, clock: @escaping @Sendable () -> Int64 = WallClock.preciseMilliseconds) {
        self.service = service
        self.quorum = quorum
        self.origin = origin
        self.logger = logger
        self.metrics = metrics
        self.clock = clock
    }

    // MARK: Inputs

    /// Starts following the service's commits (switches for damping, removed apps and groups) and the
    /// evaluation loop.
    public func start() async {
        await follow()
        let loop = Task { [weak self] in
            var ticks = 0
            while !Task.isCancelled {
                // 200 ms: the delay a changed verdict may add before its switch; a full pass every second.
                try? await Task.sleep(for: .milliseconds(200))
                guard let self else { return }
                ticks += 1
                let dirty = self.state.withLockedValue { state in
                    defer { state.dirty = false }
                    return state.dirty
                }
                if dirty || ticks % 5 == 0 { await self.evaluate() }
            }
        }
        task.withLockedValue { $0 = loop }
    }

    /// Follows the service's commits only (``start()`` without the loop: tests call ``evaluate()`` themselves).
    func follow() async {
        _ = await service.addListener { [weak self] events, _, _, at in self?.observe(events, at: at) }
    }

    public func stop() {
        task.withLockedValue { $0?.cancel() }
    }

    /// Receives watch events (`health.changed`, `failover.blocked`).
    public func addListener(_ listener: @escaping @Sendable ([ControlEvent]) -> Void) {
        state.withLockedValue { $0.listeners.append(listener) }
    }

    /// Whether `app` is checked by this daemon (its check set or cleared by ``HealthCheckRunner``).
    public func setChecked(_ app: AppID, _ checked: Bool) {
        state.withLockedValue { state in
            if checked {
                state.apps[app, default: AppHealth()].hasCheck = true
            } else if var health = state.apps[app] {
                health.hasCheck = false
                health.own = HealthTracker()
                health.outcomes = []
                health.roundError = nil
                health.lastRound = nil
                state.apps[app] = health
                state.dirty = true
            }
        }
        recombine(app)
    }

    /// Counts one round of the daemon's own checks of `app`.
    public func record(_ app: AppID, round: CheckRound, check: HealthCheck) {
        let now = clock()
        let changed = state.withLockedValue { state -> Bool in
            guard var health = state.apps[app], health.hasCheck else { return false }
            let changed = health.own.record(passed: round.passed && round.error == nil, fall: Int(check.fall),
                                            rise: Int(check.rise), at: now)
            health.lastRound = now
            health.outcomes = round.outcomes
            health.roundError = round.error
            state.apps[app] = health
            return changed
        }
        if changed {
            let own = state.withLockedValue { $0.apps[app]?.own.state ?? .unknown }
            let detail = round.error ?? round.outcomes.compactMap { o in o.error.map { "\(o.address): \($0)" } }
                .joined(separator: "; ")
            logger.info("health check of \(app.rawValue): \(own.rawValue)\(detail.isEmpty ? "" : " (\(detail))")",
                        metadata: ["app": "\(app.rawValue)"])
        }
        recombine(app)
    }

    /// An external checker's verdict (`app.report_health`); the app must exist.
    public func report(_ app: AppID, checker: String, state reported: HealthState, ttlSeconds: UInt64?)
        throws(FailoverError)
    {
        try Self.validateChecker(checker)
        let ttl = ttlSeconds ?? Self.defaultReportTTL
        guard ttl >= 1, ttl <= Self.maxReportTTL else {
            throw .badRequest("ttl_seconds must be 1 to \(Self.maxReportTTL), got \(ttl)")
        }
        let now = clock()
        let refusal = state.withLockedValue { state -> FailoverError? in
            var health = state.apps[app] ?? AppHealth()
            health.external = health.external.filter { $0.value.expires > now }
            if health.external[checker] == nil, health.external.count >= Self.maxCheckers {
                return .conflict("app \(app.rawValue) already has \(Self.maxCheckers) external checkers reporting")
            }
            health.external[checker] = External(state: reported, reported: now, expires: now + Int64(ttl) * 1000)
            state.apps[app] = health
            return nil
        }
        if let refusal { throw refusal }
        recombine(app)
    }

    /// Throws unless `name` is 1-64 of `A-Z a-z 0-9 . _ : -` and not the daemon's own.
    static func validateChecker(_ name: String) throws(FailoverError) {
        guard !name.isEmpty, name.utf8.count <= 64,
            name.utf8.allSatisfy({ $0 < 0x80 && (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0 | 0x20)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || ".-_:".utf8.contains($0) })
        else { throw .badRequest("checker must be 1-64 of A-Z a-z 0-9 . _ : -, got \(quotedName(name))") }
        guard name != localChecker else { throw .badRequest("checker \"\(localChecker)\" is the daemon's own") }
    }

    private static func quotedName(_ name: String) -> String { "\"\(name.prefix(80))\"" }

    /// Drops everything known about `app` (removed): no state outlives the app.
    public func forget(_ app: AppID) {
        state.withLockedValue { _ = $0.apps.removeValue(forKey: app) }
    }

    // MARK: Verdicts

    /// Recomputes the combined verdict of `app`; tells watchers when it changed.
    private func recombine(_ app: AppID) {
        let now = clock()
        let change = state.withLockedValue { state -> (HealthState, HealthState, [@Sendable ([ControlEvent]) -> Void])? in
            guard var health = state.apps[app] else { return nil }
            health.external = health.external.filter { $0.value.expires > now }
            var verdicts = health.external.values.map(\.state)
            if health.hasCheck { verdicts.append(health.own.state) }
            let combined = quorum.verdict(verdicts)
            let previous = health.combined
            if combined != previous {
                health.combined = combined
                health.since = now
                state.dirty = true
            }
            if !health.hasCheck, health.external.isEmpty {
                state.apps[app] = nil
            } else {
                state.apps[app] = health
            }
            return combined == previous ? nil : (combined, previous, state.listeners)
        }
        guard let (combined, previous, listeners) = change else { return }
        logger.notice("health of \(app.rawValue): \(combined.rawValue) (was \(previous.rawValue))",
                      metadata: ["app": "\(app.rawValue)"])
        guard !listeners.isEmpty else { return }
        let event = ControlEvent(.healthChanged, at: now, fields: [
            "app": .string(app.rawValue), "state": .string(combined.rawValue),
            "previous": .string(previous.rawValue), "health": health(of: app) ?? .null,
        ])
        for listener in listeners { listener([event]) }
    }

    /// Expires stale external verdicts of every app.
    private func expire() {
        let now = clock()
        let stale = state.withLockedValue { state in
            state.apps.compactMap { id, health in health.external.values.contains { $0.expires <= now } ? id : nil }
        }
        for app in stale { recombine(app) }
    }

    /// The combined verdict of `app` and since when.
    public func verdict(of app: AppID) -> FailoverDecision.Health {
        state.withLockedValue { state in
            guard let health = state.apps[app] else { return .unknown }
            return FailoverDecision.Health(health.combined, since: health.since)
        }
    }

    /// How many apps are in each combined state (apps checked by anyone).
    public func stateCounts() -> [HealthState: Int] {
        state.withLockedValue { state in
            var counts: [HealthState: Int] = [.up: 0, .down: 0, .unknown: 0]
            for health in state.apps.values { counts[health.combined, default: 0] += 1 }
            return counts
        }
    }

    /// Groups whose active app is down with no healthy app to switch to.
    public var blockedCount: Int { state.withLockedValue { $0.blocked.count } }

    /// The `health` member of `app.get` and `app.list`; nil when nobody checks the app.
    public func health(of app: AppID) -> JSONValue? {
        let now = clock()
        return state.withLockedValue { state -> JSONValue? in
            guard let health = state.apps[app] else { return nil }
            var checkers: [String: JSONValue] = [:]
            if health.hasCheck {
                var local: [String: JSONValue] = [
                    "state": .string(health.own.state.rawValue),
                    "since": health.own.since.map { .string(RFC3339.string(fromMilliseconds: $0)) } ?? .null,
                    "last_check": health.lastRound.map { .string(RFC3339.string(fromMilliseconds: $0)) } ?? .null,
                    "addresses": .array(health.outcomes.map { outcome in
                        .object(["address": .string(outcome.address), "ok": .bool(outcome.passed),
                                 "error": JSONValue(outcome.error)])
                    }),
                ]
                if let error = health.roundError { local["error"] = .string(error) }
                checkers[Self.localChecker] = .object(local)
            }
            for (name, external) in health.external where external.expires > now {
                checkers[name] = .object([
                    "state": .string(external.state.rawValue),
                    "reported": .string(RFC3339.string(fromMilliseconds: external.reported)),
                    "expires": .string(RFC3339.string(fromMilliseconds: external.expires)),
                ])
            }
            return .object([
                "state": .string(health.combined.rawValue),
                "since": health.since.map { .string(RFC3339.string(fromMilliseconds: $0)) } ?? .null,
                "checkers": .object(checkers),
            ])
        }
    }

    /// `blocked` of a group: why its policy cannot fail it over now, or nil.
    public func blockedReason(_ address: GroupAddress) -> String? {
        state.withLockedValue { $0.blocked[address] }
    }

    // MARK: Policy

    /// Keeps the time of every switch (for damping) and forgets deleted groups and removed apps.
    private func observe(_ events: [ModelEvent], at: Int64) {
        var removed: [AppID] = []
        state.withLockedValue { state in
            for event in events {
                switch event {
                case .switchDone(let group, _), .switchCancelled(let group, _):
                    state.lastSwitch[group.address] = at
                    state.dirty = true
                case .groupDeleted(let address):
                    state.lastSwitch[address] = nil
                    state.blocked[address] = nil
                case .groupChanged:
                    state.dirty = true
                case .appRemoved(let id):
                    removed.append(id)
                default:
                    break
                }
            }
        }
        for id in removed { forget(id) }
    }

    /// One pass of the policy over every group with `auto_failover`.
    func evaluate() async {
        expire()
        let now = clock()
        let (health, lastSwitch) = state.withLockedValue { state in
            (state.apps.mapValues { FailoverDecision.Health($0.combined, since: $0.since) }, state.lastSwitch)
        }
        let decisions = (try? await service.read { model in
            model.autoFailoverGroups.map { group in
                (group, FailoverDecision.decide(
                    group: group, policy: group.policy, primary: group.primary.flatMap { health[$0] } ?? .unknown,
                    backup: group.backup.flatMap { health[$0] } ?? .unknown, lastSwitch: lastSwitch[group.address],
                    now: now))
            }
        }) ?? []
        var events: [ControlEvent] = []
        var live = Set<GroupAddress>()
        for (group, decision) in decisions {
            live.insert(group.address)
            switch decision {
            case .noHealthyTarget:
                let other = group.app(for: group.active.other).flatMap { health[$0] }?.state ?? .unknown
                let reason = other == .down ? "target_down" : "target_unknown"
                let isNew = state.withLockedValue { state in
                    defer { state.blocked[group.address] = reason }
                    return state.blocked[group.address] != reason
                }
                if isNew {
                    logger.warning(
                        "group \(group.address): active app \(group.activeApp?.rawValue ?? "-") is down and the \(group.active.other.rawValue) is \(other.rawValue): staying",
                        metadata: ["group": "\(group.address)"])
                    events.append(ControlEvent(.failoverBlocked, at: now, fields: [
                        "address": .string(group.address.description), "reason": .string(reason),
                        "group": ModelViews.group(group, origin: origin).json,
                    ]))
                }
            case .switchTo(let role, let failback):
                state.withLockedValue { _ = $0.blocked.removeValue(forKey: group.address) }
                await commitSwitch(group, to: role, failback: failback)
            case .stay, .damped:
                state.withLockedValue { _ = $0.blocked.removeValue(forKey: group.address) }
            }
        }
        state.withLockedValue { state in state.blocked = state.blocked.filter { live.contains($0.key) } }
        if !events.isEmpty {
            for listener in state.withLockedValue({ $0.listeners }) { listener(events) }
        }
    }

    private func commitSwitch(_ group: Group, to role: Role, failback: Bool) async {
        let result = await service.commit { _, now throws(FailoverError) in
            .healthSwitch(address: group.address, to: role, expectedVersion: group.version, now: now)
        }
        switch result {
        case .success(let commit) where commit.changed:
            metrics.autoSwitch(failback: failback)
            logger.notice(
                "automatic \(failback ? "failback" : "failover"): group \(group.address) to \(role.rawValue) (\(group.app(for: role)?.rawValue ?? "-"))",
                metadata: ["group": "\(group.address)", "app": "\(group.app(for: role)?.rawValue ?? "-")"])
        case .success:
            break
        case .failure(let error):
            // A manual change won the race (conflict), or the journal is unwritable: decide again next pass.
            logger.info("automatic switch of group \(group.address) not made: \(error.message)",
                        metadata: ["group": "\(group.address)"])
        }
    }
}
