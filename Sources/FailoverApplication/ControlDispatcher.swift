import DNSWire
import FailoverControl
import FailoverCore
import Foundation

/// Carries out control commands against the failover service and shapes the
/// results. `watch` is handled by the connection, not here.
public final class ControlDispatcher: Sendable {
    let service: FailoverService
    let snapshots: SnapshotStore
    let origin: DomainName
    let started: Int64
    /// The daemon, for `stats` and `reload`; it owns the dispatcher, so held weakly.
    private weak let host: (any ControlHost)?
    /// Health verdicts for `app.get`, `app.list` and `app.report_health`; nil: health checking is off.
    let health: HealthMonitor?

    public init(service: FailoverService, snapshots: SnapshotStore, origin: DomainName, host: (any ControlHost)?,
                health: HealthMonitor? = nil) {
        self.health = health
        self.service = service
        self.snapshots = snapshots
        self.origin = origin
        self.started = WallClock.preciseMilliseconds()
        self.host = host
    }

    /// Calls `deliver` with the events of every commit, as protocol lines
    /// (for `watch`). `isWanted` is asked first: formatting costs more than
    /// the commit itself, so it is skipped while nobody watches.
    public func subscribeEvents(isWanted: @escaping @Sendable () -> Bool,
                                deliver: @escaping @Sendable ([[UInt8]]) -> Void) async {
        let origin = origin
        _ = await service.addListener { events, authors, model, at in
            guard isWanted() else { return }
            deliver(ModelViews.events(events, authors: authors, model: model, origin: origin, at: at).map(\.line))
        }
    }

    /// Runs `observer` after every durable batch (the control server writes
    /// the replies a batch completed then).
    public func addBatchObserver(_ observer: @escaping @Sendable () -> Void) async {
        await service.addBatchObserver(observer)
    }

    /// The serial served now (the first line of `watch`).
    public func servedSerial() async -> UInt32 {
        await service.summary.serial
    }

    /// Runs a read (`*.get`, `*.list`, `stats`, `export`, ...); mutations go through ``submit(_:author:completion:)``.
    public func handle(_ command: ControlCommand) async throws(ControlError) -> JSONValue {
        guard !command.operation.isMutation else {
            throw .internal("\(command.operation.name) changes state: it goes through submit(_:completion:)")
        }
        return try await read(command).get()
    }

    /// Starts a mutation without waiting; `completion` runs inside the
    /// service once it is durable and served, with the result encoded as one
    /// JSON value. Mutations submitted one after another commit in that
    /// order. Throws at once, without calling `completion`, for a command
    /// whose arguments are invalid or that only reads (`internal`).
    public func submit(_ command: ControlCommand, author: ChangeAuthor? = nil,
                       completion: @escaping @Sendable (Result<[UInt8], ControlError>) -> Void) throws(ControlError)
    {
        let (build, view) = try mutation(command)
        service.submit(build, view: view, author: author) { result in
            switch result {
            case .success(let commit):
                if let view = commit.view {
                    completion(.success(view))
                } else {
                    completion(.failure(.internal("\(command.operation.name) committed without a result")))
                }
            case .failure(let error):
                completion(.failure(ModelViews.error(error)))
            }
        }
    }

    /// The mutation of a command and the view that shapes its reply.
    private func mutation(_ command: ControlCommand) throws(ControlError)
        -> (FailoverService.MutationBuilder, FailoverService.CommitView)
    {
        let origin = origin
        let health = health
        switch command {
        case .appPut(let args):
            let app = try appFrom(args)
            // After the put the model holds an app equal to `app`: the view reads it from here, not the model.
            return ({ _, _ throws(FailoverError) in .appPut(app) },
                    { model, _ in
                        var encoded: [UInt8] = []
                        // An app with a hostname encodes in about 100 bytes: one allocation, no regrowth.
                        encoded.reserveCapacity(192)
                        ModelViews.app(app, model: model, health: health).write(into: &encoded)
                        return encoded
                    })
        case .appRemove(let args):
            let id = try appID(args.app)
            return ({ model, _ throws(FailoverError) in
                guard model.apps[id] != nil else { throw .notFound("no app \(id.rawValue)") }
                return .appRemove(id)
            }, { _, _ in Self.encode(ControlResults.appRemoved(id.rawValue)) })
        case .groupCreate(let args):
            let given = try args.address.map { text throws(ControlError) in try groupAddress(text) }
            let primary = try args.primary.map { text throws(ControlError) in try appID(text) }
            let backup = try args.backup.map { text throws(ControlError) in try appID(text) }
            let policy = try args.policy.isEmpty ? nil : policyFrom(args.policy, base: .default)
            let snapshots = snapshots
            return ({ model, now throws(FailoverError) in
                let zone = snapshots.load().zone
                let reserved: (GroupAddress) -> Bool = { SnapshotBuilder.isStaticName($0, zone: zone) }
                let address: GroupAddress
                if let given {
                    try model.checkAddressAvailable(given, isReserved: reserved)
                    address = given
                } else {
                    address = try model.allocateAddress(isReserved: reserved)
                }
                return .groupCreate(address: address, primary: primary, backup: backup, now: now, policy: policy)
            }, { model, events in
                for case .groupChanged(let group) in events {
                    return Self.encode(ModelViews.group(model.groups[group.address] ?? group, origin: origin).json)
                }
                return nil
            })
        case .groupUpdate(let args):
            let address = try groupAddress(args.address)
            let primary = try fieldChange(args.primary)
            let backup = try fieldChange(args.backup)
            let policyArgs = args.policy
            // Checked against the default now, so a bad value fails before the commit; merged with the
            // group's current policy inside it.
            _ = try policyFrom(policyArgs, base: .default)
            return ({ model, now throws(FailoverError) in
                guard let old = model.groups[address] else { throw .notFound("no group \(address)") }
                let policy = policyArgs.isEmpty ? nil : try Self.merge(policyArgs, into: old.policy)
                return .groupUpdate(address: address, primary: primary, backup: backup, ifVersion: args.ifVersion,
                                    now: now, policy: policy)
            }, { model, _ in Self.encode(model.groups[address].map { ModelViews.group($0, origin: origin).json }) })
        case .groupSwitch(let args):
            let address = try groupAddress(args.address)
            let delay = args.delaySeconds.map { Int64(($0 * 1000).rounded()) } ?? service.defaultDelayMilliseconds
            guard delay >= 0, delay <= FailoverModel.maxSwitchDelay else {
                throw .badRequest("delay_seconds must be between 0 and \(FailoverModel.maxSwitchDelay / 1000)")
            }
            let to = ModelViews.role(args.to)
            return ({ model, now throws(FailoverError) in
                guard model.groups[address] != nil else { throw .notFound("no group \(address)") }
                return .groupSwitch(address: address, to: to, due: now + delay, requestedAt: now,
                                    requestedBy: args.requestedBy)
            }, { model, events in
                var outcome = SwitchOutcome.unchanged
                for event in events {
                    switch event {
                    case .switchDone: outcome = .applied
                    case .switchScheduled: outcome = .scheduled
                    case .switchCancelled where outcome == .unchanged: outcome = .cancelled
                    default: break
                    }
                }
                return Self.encode(model.groups[address].map {
                    SwitchResult(group: ModelViews.group($0, origin: origin), outcome: outcome).json
                })
            })
        case .groupCancel(let args):
            let address = try groupAddress(args.address)
            return ({ model, now throws(FailoverError) in
                guard model.groups[address] != nil else { throw .notFound("no group \(address)") }
                return .groupCancel(address: address, now: now)
            }, { model, events in
                let cancelled = events.contains { if case .switchCancelled = $0 { true } else { false } }
                return Self.encode(model.groups[address].map {
                    CancelResult(group: ModelViews.group($0, origin: origin), cancelled: cancelled).json
                })
            })
        case .groupDelete(let args):
            let address = try groupAddress(args.address)
            return ({ model, _ throws(FailoverError) in
                guard model.groups[address] != nil else { throw .notFound("no group \(address)") }
                return .groupDelete(address: address)
            }, { _, _ in Self.encode(ControlResults.groupDeleted(address.description)) })
        default:
            throw .internal("\(command.operation.name) is not a mutation")
        }
    }

    /// Commands that only read: run inside the service against the current model.
    private func read(_ command: ControlCommand) async -> Result<JSONValue, ControlError> {
        let origin = origin
        let health = health
        do throws(ControlError) {
            switch command {
            case .hello:
                let serial = await service.summary.serial
                return .success(HelloInfo(version: FailoverdVersion.string, zone: origin.description, serial: serial).json)
            case .appGet(let args):
                let id = try appID(args.app)
                return .success(try await service.read { model throws(ControlError) in
                    guard let app = model.apps[id] else { throw .notFound("no app \(id.rawValue)") }
                    return ModelViews.app(app, model: model, health: health).json
                })
            case .appList:
                return .success(try await service.read { model in
                    let apps = model.apps.values.sorted { $0.id.rawValue < $1.id.rawValue }
                    return ControlResults.appList(apps.map { ModelViews.app($0, model: model, health: health) })
                })
            case .appReportHealth(let args):
                let id = try appID(args.app)
                guard let health else { throw .unavailable("health checking is off in this daemon") }
                _ = try await service.read { model throws(ControlError) in
                    guard model.apps[id] != nil else { throw .notFound("no app \(id.rawValue)") }
                    return true
                }
                try convert { () throws(FailoverError) in
                    try health.report(id, checker: args.checker, state: args.state == "up" ? .up : .down,
                                      ttlSeconds: args.ttlSeconds)
                }
                return .success(.object(["app": .string(id.rawValue), "health": health.health(of: id) ?? .null]))
            case .appStatus(let args):
                let id = try appID(args.app)
                return .success(try await service.read { model throws(ControlError) in
                    guard model.apps[id] != nil else { throw .notFound("no app \(id.rawValue)") }
                    return ModelViews.appStatus(model.status(of: id)).json
                })
            case .groupGet(let args):
                let address = try groupAddress(args.address)
                return .success(try await service.read { model throws(ControlError) in
                    guard let group = model.groups[address] else { throw .notFound("no group \(address)") }
                    var json = ModelViews.group(group, origin: origin).json
                    // Why the health policy cannot fail the group over now (its active app is down).
                    if case .object(var members) = json, let reason = health?.blockedReason(address) {
                        members["failover_blocked"] = .string(reason)
                        json = .object(members)
                    }
                    return json
                })
            case .groupList:
                return .success(try await service.read { model in
                    let groups = model.groups.values.sorted { $0.address < $1.address }
                    return ControlResults.groupList(groups.map { ModelViews.group($0, origin: origin) })
                })
            case .export:
                let zone = await service.staticZone
                return .success(try await service.read { model in
                    ExportInfo(
                        zone: origin.description, serial: SnapshotBuilder.servedSerial(zone: zone, model: model),
                        exportedAt: WallClock.preciseMilliseconds(),
                        apps: model.apps.values.map { ModelViews.app($0, model: model) },
                        groups: model.groups.values.map { ModelViews.group($0, origin: origin) },
                        tombstones: model.tombstones.map(\.description)
                    ).json
                })
            case .stats:
                let summary = await service.summary
                let facts = await host?.controlStatistics() ?? ControlStatistics()
                return .success(StatsInfo(
                    serial: summary.serial, apps: summary.apps, groups: summary.groups,
                    pending: summary.pendingSwitches, tombstones: summary.tombstones,
                    connections: facts.connections, watchers: facts.watchers, started: started,
                    now: WallClock.preciseMilliseconds(), counters: facts.counters
                ).json)
            case .reload:
                guard let host else { throw .unavailable("shutting down") }
                return .success(try await host.reload())
            case .watch:
                throw .badRequest("watch is handled by the connection")
            default:
                throw .internal("\(command.operation.name) is a mutation")
            }
        } catch {
            return .failure(error)
        }
    }

    /// A view's result encoded as one JSON value.
    private static func encode(_ value: JSONValue?) -> [UInt8]? {
        guard let value else { return nil }
        var encoded: [UInt8] = []
        value.write(into: &encoded)
        return encoded
    }

    private func convert<T>(_ body: () throws(FailoverError) -> T) throws(ControlError) -> T {
        do {
            return try body()
        } catch {
            throw ModelViews.error(error)
        }
    }

    private func appID(_ text: String) throws(ControlError) -> AppID {
        try convert { () throws(FailoverError) in try AppID(text) }
    }

    private func groupAddress(_ text: String) throws(ControlError) -> GroupAddress {
        try convert { () throws(FailoverError) in try GroupAddress(text) }
    }

    private func fieldChange(_ update: ControlFieldChange<String>) throws(ControlError) -> FieldChange<AppID> {
        switch update {
        case .keep: return .keep
        case .clear: return .clear
        case .set(let text): return .set(try appID(text))
        }
    }

    /// `args` over `base`; every field is range-checked by ``GroupPolicy``.
    static func merge(_ args: GroupPolicyArgs, into base: GroupPolicy) throws(FailoverError) -> GroupPolicy {
        func seconds(_ value: UInt64?, _ current: UInt32, _ name: String) throws(FailoverError) -> UInt32 {
            guard let value else { return current }
            guard value <= UInt64(GroupPolicy.maxSeconds) else {
                throw .badRequest("\(name) must be 0 to \(GroupPolicy.maxSeconds), got \(value)")
            }
            return UInt32(value)
        }
        return try GroupPolicy(
            autoFailover: args.autoFailover ?? base.autoFailover,
            failback: args.failback.flatMap(GroupPolicy.Failback.init(rawValue:)) ?? base.failback,
            failbackAfter: try seconds(args.failbackAfterSeconds, base.failbackAfter, "failback_after_seconds"),
            minSwitchInterval: try seconds(args.minSwitchIntervalSeconds, base.minSwitchInterval,
                                           "min_switch_interval_seconds"))
    }

    private func policyFrom(_ args: GroupPolicyArgs, base: GroupPolicy) throws(ControlError) -> GroupPolicy {
        try convert { () throws(FailoverError) in try Self.merge(args, into: base) }
    }

    /// The model's health check for `args`, validated (defaults filled in).
    static func healthCheck(_ args: HealthCheckArg) throws(FailoverError) -> HealthCheck {
        guard let kind = HealthCheck.Kind(rawValue: args.type) else {
            throw .badRequest("health_check.type must be \"http\", \"https\" or \"tcp\", got \(quotedArg(args.type))")
        }
        func bounded<T: FixedWidthInteger>(_ value: UInt64?, _ name: String, as: T.Type) throws(FailoverError) -> T? {
            guard let value else { return nil }
            guard let fitting = T(exactly: value) else {
                throw .badRequest("health_check.\(name) is out of range: \(value)")
            }
            return fitting
        }
        let defaults = try HealthCheck(kind: kind)
        let interval = try bounded(args.intervalSeconds, "interval_seconds", as: UInt32.self) ?? defaults.interval
        return try HealthCheck(
            kind: kind, port: try bounded(args.port, "port", as: UInt16.self), path: args.path, host: args.host,
            expect: try args.expect.map { text throws(FailoverError) in try HealthCheck.expectRange(parsing: text) }
                ?? defaults.expect,
            interval: interval,
            // The default timeout never exceeds a shorter interval given with it.
            timeout: try bounded(args.timeoutSeconds, "timeout_seconds", as: UInt32.self)
                ?? min(defaults.timeout, interval),
            fall: try bounded(args.fall, "fall", as: UInt8.self) ?? defaults.fall,
            rise: try bounded(args.rise, "rise", as: UInt8.self) ?? defaults.rise, insecure: args.insecure ?? false)
    }

    private static func quotedArg(_ text: String) -> String { "\"\(text.prefix(40))\"" }

    private func appFrom(_ args: AppPutArgs) throws(ControlError) -> App {
        try convert { () throws(FailoverError) in
            let id = try AppID(args.app)
            let head: WebHead?
            switch args.webHead {
            case .hostname(let name): head = try WebHead.hostname(validating: name)
            case .addresses(let list): head = try WebHead.addresses(validating: list)
            case nil: head = nil
            }
            let check = try args.healthCheck.map { check throws(FailoverError) in try Self.healthCheck(check) }
            return try App(id: id, name: args.name, webHead: head, healthCheck: check)
        }
    }
}
