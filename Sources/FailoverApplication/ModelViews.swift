import DNSWire
import FailoverControl
import FailoverCore

/// Conversions from the model to the control protocol's JSON shapes.
enum ModelViews {
    static func group(_ group: Group, origin: DomainName) -> GroupInfo {
        GroupInfo(
            address: group.address.description, name: "\(group.address).\(origin)", primary: group.primary?.rawValue,
            backup: group.backup?.rawValue, active: role(group.active),
            pending: group.pending.map {
                PendingInfo(to: role($0.to), due: $0.due, requestedAt: $0.requestedAt, requestedBy: $0.requestedBy)
            },
            version: group.version, created: group.created, updated: group.updated,
            policy: group.policy.isDefault ? nil : policy(group.policy))
    }

    static func policy(_ policy: GroupPolicy) -> GroupPolicyArgs {
        GroupPolicyArgs(autoFailover: policy.autoFailover, failback: policy.failback.rawValue,
                        failbackAfterSeconds: UInt64(policy.failbackAfter),
                        minSwitchIntervalSeconds: UInt64(policy.minSwitchInterval))
    }

    /// A health check with every field filled in.
    static func healthCheck(_ check: HealthCheck) -> HealthCheckArg {
        HealthCheckArg(
            type: check.kind.rawValue, port: UInt64(check.port), path: check.kind == .tcp ? nil : check.path,
            host: check.host, expect: check.kind == .tcp ? nil : check.expectText,
            intervalSeconds: UInt64(check.interval), timeoutSeconds: UInt64(check.timeout), fall: UInt64(check.fall),
            rise: UInt64(check.rise), insecure: check.kind == .https ? check.insecure : nil)
    }

    static func role(_ role: Role) -> ControlRole { role == .primary ? .primary : .backup }

    static func role(_ role: ControlRole) -> Role { role == .primary ? .primary : .backup }

    static func status(_ state: AppState) -> AppStatusName {
        switch state {
        case .online: .online
        case .offline: .offline
        case .none: .none
        }
    }

    static func webHead(_ head: WebHead?) -> WebHeadArg? {
        switch head {
        case .hostname(let name): .hostname(name)
        case .addresses(let list): .addresses(list.map(\.description))
        case nil: nil
        }
    }

    static func app(_ app: App, model: FailoverModel, health: HealthMonitor? = nil) -> AppInfo {
        AppInfo(app: app.id.rawValue, name: app.name, webHead: webHead(app.webHead),
                status: status(model.state(of: app.id)), healthCheck: app.healthCheck.map(healthCheck),
                health: health?.health(of: app.id))
    }

    static func appStatus(_ status: AppStatus) -> AppStatusInfo {
        AppStatusInfo(
            app: status.app.rawValue, status: self.status(status.state),
            groups: status.groups.map {
                AppStatusInfo.Membership(address: $0.address.description, role: role($0.role), active: $0.active)
            })
    }

    static func error(_ error: FailoverError) -> ControlError {
        ControlError(ControlError.Code(rawValue: error.code.rawValue), error.message)
    }

    /// Event lines for watchers; `authors` (parallel to `events`) fills `by` where a control client asked.
    static func events(_ events: [ModelEvent], authors: [ChangeAuthor?], model: FailoverModel, origin: DomainName,
                       at: Int64) -> [ControlEvent]
    {
        zip(events, authors).map { event, author in
            var line = self.event(event, model: model, origin: origin, at: at)
            if let author { line.fields["by"] = author.json }
            return line
        }
    }

    private static func event(_ event: ModelEvent, model: FailoverModel, origin: DomainName, at: Int64) -> ControlEvent {
        switch event {
        case .switchScheduled(let g):
            return .switchScheduled(group(g, origin: origin), reason: SwitchReason.manual.rawValue, at: at)
        case .switchDone(let g, let reason):
            return .switchDone(group(g, origin: origin), from: role(g.active.other), reason: reason.rawValue, at: at)
        case .switchCancelled(let g, let cancelled):
            let reason: SwitchCancelReason = g.app(for: cancelled.to) == nil ? .appCleared : .requested
            return .switchCancelled(group(g, origin: origin), to: role(cancelled.to), reason: reason, at: at)
        case .groupChanged(let g):
            return .groupChanged(address: g.address.description, change: g.version == 1 ? .created : .updated,
                                 group: group(g, origin: origin), at: at)
        case .groupDeleted(let address):
            return .groupChanged(address: address.description, change: .deleted, group: nil, at: at)
        case .appChanged(let a):
            return .appChanged(app: a.id.rawValue, change: .updated, info: app(a, model: model), at: at)
        case .appRemoved(let id):
            return .appChanged(app: id.rawValue, change: .deleted, info: nil, at: at)
        case .statusChanged(let id, let old, let new):
            return .statusChanged(app: id.rawValue, status: status(new), previous: status(old), at: at)
        }
    }
}
