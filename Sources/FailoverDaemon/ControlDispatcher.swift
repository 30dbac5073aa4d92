import DNSWire
import FailoverControl
import FailoverCore
import Foundation

/// Carries out control commands against the failover service and shapes the
/// results. `watch` is handled by the connection, not here.
public final class ControlDispatcher: Sendable {
    let service: FailoverService
    let origin: DomainName
    let started: Int64
    let statistics: @Sendable () async -> (connections: Int, watchers: Int, counters: [String: UInt64])
    let reload: @Sendable () async throws(ControlError) -> JSONValue

    public init(
        service: FailoverService, origin: DomainName,
        statistics: @escaping @Sendable () async -> (connections: Int, watchers: Int, counters: [String: UInt64]),
        reload: @escaping @Sendable () async throws(ControlError) -> JSONValue
    ) {
        self.service = service
        self.origin = origin
        self.started = WallClock.preciseMilliseconds()
        self.statistics = statistics
        self.reload = reload
    }

    /// Runs one command; mutations return once durable and served.
    public func handle(_ command: ControlCommand) async throws(ControlError) -> JSONValue {
        switch command {
        case .hello:
            let model = await service.current
            let zone = await service.staticZone
            return HelloInfo(version: FailoverdVersion.string, zone: origin.description,
                             serial: SnapshotBuilder.servedSerial(zone: zone, model: model)).json
        case .appPut(let args):
            let app = try appFrom(args)
            let commit = try await commit { _, _ throws(FailoverError) in .appPut(app) }
            return ModelViews.app(commit.model.apps[app.id] ?? app, model: commit.model).json
        case .appRemove(let args):
            let id = try convert { () throws(FailoverError) in try AppID(args.app) }
            _ = try await commit { model, _ throws(FailoverError) in
                guard model.apps[id] != nil else { throw .notFound("no app \(id.rawValue)") }
                return .appRemove(id)
            }
            return ControlResults.appRemoved(id.rawValue)
        case .appGet(let args):
            let id = try convert { () throws(FailoverError) in try AppID(args.app) }
            let model = await service.current
            guard let app = model.apps[id] else { throw .notFound("no app \(id.rawValue)") }
            return ModelViews.app(app, model: model).json
        case .appList:
            let model = await service.current
            let apps = model.apps.values.sorted { $0.id.rawValue < $1.id.rawValue }
            return ControlResults.appList(apps.map { ModelViews.app($0, model: model) })
        case .appStatus(let args):
            let id = try convert { () throws(FailoverError) in try AppID(args.app) }
            let model = await service.current
            guard model.apps[id] != nil else { throw .notFound("no app \(id.rawValue)") }
            return ModelViews.appStatus(model.status(of: id)).json
        case .groupCreate(let args):
            return try await groupCreate(args)
        case .groupUpdate(let args):
            let address = try groupAddress(args.address)
            let primary = try fieldChange(args.primary)
            let backup = try fieldChange(args.backup)
            let commit = try await commit { model, now throws(FailoverError) in
                guard model.groups[address] != nil else { throw .notFound("no group \(address)") }
                return .groupUpdate(address: address, primary: primary, backup: backup, ifVersion: args.ifVersion,
                                    now: now)
            }
            return try groupJSON(address, in: commit.model)
        case .groupSwitch(let args):
            let address = try groupAddress(args.address)
            let delay = args.delaySeconds.map { Int64(($0 * 1000).rounded()) } ?? service.defaultDelayMilliseconds
            guard delay >= 0, delay <= FailoverModel.maxSwitchDelay else {
                throw .badRequest("delay_seconds must be between 0 and \(FailoverModel.maxSwitchDelay / 1000)")
            }
            let to = ModelViews.role(args.to)
            let commit = try await commit { model, now throws(FailoverError) in
                guard model.groups[address] != nil else { throw .notFound("no group \(address)") }
                return .groupSwitch(address: address, to: to, due: now + delay, requestedAt: now,
                                    requestedBy: args.requestedBy)
            }
            var outcome = SwitchOutcome.unchanged
            for event in commit.events {
                switch event {
                case .switchDone: outcome = .applied
                case .switchScheduled: outcome = .scheduled
                case .switchCancelled where outcome == .unchanged: outcome = .cancelled
                default: break
                }
            }
            let group = try groupInfo(address, in: commit.model)
            return SwitchResult(group: group, outcome: outcome).json
        case .groupCancel(let args):
            let address = try groupAddress(args.address)
            let commit = try await commit { model, now throws(FailoverError) in
                guard model.groups[address] != nil else { throw .notFound("no group \(address)") }
                return .groupCancel(address: address, now: now)
            }
            let cancelled = commit.events.contains { if case .switchCancelled = $0 { true } else { false } }
            return CancelResult(group: try groupInfo(address, in: commit.model), cancelled: cancelled).json
        case .groupDelete(let args):
            let address = try groupAddress(args.address)
            _ = try await commit { model, _ throws(FailoverError) in
                guard model.groups[address] != nil else { throw .notFound("no group \(address)") }
                return .groupDelete(address: address)
            }
            return ControlResults.groupDeleted(address.description)
        case .groupGet(let args):
            let address = try groupAddress(args.address)
            return try groupJSON(address, in: await service.current)
        case .groupList:
            let model = await service.current
            let groups = model.groups.values.sorted { $0.address < $1.address }
            return ControlResults.groupList(groups.map { ModelViews.group($0, origin: origin) })
        case .export:
            let model = await service.current
            let zone = await service.staticZone
            return ExportInfo(
                zone: origin.description, serial: SnapshotBuilder.servedSerial(zone: zone, model: model),
                exportedAt: WallClock.preciseMilliseconds(),
                apps: model.apps.values.map { ModelViews.app($0, model: model) },
                groups: model.groups.values.map { ModelViews.group($0, origin: origin) },
                tombstones: model.tombstones.map(\.description)
            ).json
        case .stats:
            let model = await service.current
            let zone = await service.staticZone
            let facts = await statistics()
            return StatsInfo(
                serial: SnapshotBuilder.servedSerial(zone: zone, model: model), apps: model.apps.count,
                groups: model.groups.count, pending: model.pendingSwitches.count, tombstones: model.tombstones.count,
                connections: facts.connections, watchers: facts.watchers, started: started,
                now: WallClock.preciseMilliseconds(), counters: facts.counters
            ).json
        case .reload:
            return try await reload()
        case .watch:
            throw .badRequest("watch is handled by the connection")
        }
    }

    private func groupCreate(_ args: GroupCreateArgs) async throws(ControlError) -> JSONValue {
        let given = try args.address.map { text throws(ControlError) in try groupAddress(text) }
        let primary = try args.primary.map { text throws(ControlError) in try appID(text) }
        let backup = try args.backup.map { text throws(ControlError) in try appID(text) }
        let zone = await service.staticZone
        let reserved: @Sendable (GroupAddress) -> Bool = { SnapshotBuilder.isStaticName($0, zone: zone) }
        let commit = try await commit { model, now throws(FailoverError) in
            let address: GroupAddress
            if let given {
                try model.checkAddressAvailable(given, isReserved: reserved)
                address = given
            } else {
                address = try model.allocateAddress(isReserved: reserved)
            }
            return .groupCreate(address: address, primary: primary, backup: backup, now: now)
        }
        for event in commit.events {
            if case .groupChanged(let group) = event {
                return ModelViews.group(commit.model.groups[group.address] ?? group, origin: origin).json
            }
        }
        throw .internal("group.create committed without creating a group")
    }

    private func commit(_ build: @escaping FailoverService.MutationBuilder) async throws(ControlError)
        -> FailoverService.Commit
    {
        switch await service.commit(build) {
        case .success(let commit): return commit
        case .failure(let error): throw ModelViews.error(error)
        }
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

    private func fieldChange(_ update: FieldUpdate<String>) throws(ControlError) -> FieldChange<AppID> {
        switch update {
        case .keep: return .keep
        case .clear: return .clear
        case .set(let text): return .set(try appID(text))
        }
    }

    private func appFrom(_ args: AppPutArgs) throws(ControlError) -> App {
        try convert { () throws(FailoverError) in
            let id = try AppID(args.app)
            let head: WebHead?
            switch args.webHead {
            case .hostname(let name): head = try WebHead.hostname(validating: name)
            case .addresses(let list): head = try WebHead.addresses(validating: list)
            case nil: head = nil
            }
            return try App(id: id, name: args.name, webHead: head)
        }
    }

    private func groupInfo(_ address: GroupAddress, in model: FailoverModel) throws(ControlError) -> GroupInfo {
        guard let group = model.groups[address] else { throw .notFound("no group \(address)") }
        return ModelViews.group(group, origin: origin)
    }

    private func groupJSON(_ address: GroupAddress, in model: FailoverModel) throws(ControlError) -> JSONValue {
        try groupInfo(address, in: model).json
    }
}

/// The daemon's version, reported by `--version` and `hello`.
public enum FailoverdVersion {
    public static let string = "0.2.0"
}
