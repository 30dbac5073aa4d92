/// One change of a reconciliation: the request, what it is for, and for a switch or cancel (which
/// take no `if_version`) the group version to check just before.
public struct ReconcileStep: Sendable, Hashable, CustomStringConvertible {
    public var command: ControlCommand
    public var description: String
    public var expectVersion: UInt64?

    public init(_ command: ControlCommand, _ description: String, expectVersion: UInt64? = nil) {
        self.command = command
        self.description = description
        self.expectVersion = expectVersion
    }
}

/// The changes from an export to a desired state, in the order to apply them. Semantics (the same as
/// the Ruby client's Reconciler; docs/platform-client.md, "Reconciliation"):
/// - apps missing, or with another name or web head: `app.put`;
/// - apps not desired: removed only with `prune`, and only if no group (desired or left alone) uses them;
/// - a desired group with an address: created if missing; `group.update` with `if_version` if its apps differ;
/// - a desired group without an address: created (on every apply);
/// - groups not in the desired state: left alone;
/// - `active` given: a switch to it (after `switchDelay`, nil: the daemon's switch-delay) unless one is
///   pending to it; a pending switch away from it is cancelled. `active` absent: never switched.
public struct ReconcilePlan: Sendable, Hashable, CustomStringConvertible {
    public var steps: [ReconcileStep]

    public init(desired: DesiredState, apps: [AppInfo], groups: [GroupInfo], prune: Bool = false,
                switchDelay: Double? = nil)
    {
        let currentApps = Dictionary(apps.map { ($0.app, $0) }, uniquingKeysWith: { first, _ in first })
        let currentGroups = Dictionary(groups.map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
        var steps: [ReconcileStep] = desired.apps.compactMap { Self.appStep($0, currentApps[$0.id]) }
        for group in desired.groups {
            steps += Self.groupSteps(group, group.address.flatMap { currentGroups[$0] }, switchDelay: switchDelay)
        }
        if prune {
            let desiredAddresses = Set(desired.groups.compactMap(\.address))
            var used = Set(desired.groups.flatMap { [$0.primary, $0.backup].compactMap { $0 } })
            for group in groups where !desiredAddresses.contains(group.address) {
                used.formUnion([group.primary, group.backup].compactMap { $0 })
            }
            let wanted = Set(desired.apps.map(\.id))
            for app in apps.map(\.app).sorted() where !wanted.contains(app) && !used.contains(app) {
                steps.append(ReconcileStep(.appRemove(AppIDArgs(app: app)), "remove app \(app) (not desired, in no group)"))
            }
        }
        self.steps = steps
    }

    public var isEmpty: Bool { steps.isEmpty }

    public var description: String {
        steps.isEmpty ? "nothing to do" : steps.map(\.description).joined(separator: "\n")
    }

    /// A web head as the daemon answers it, for comparing: hostnames in lower case without the final dot,
    /// addresses sorted without duplicates.
    static func normalized(_ webHead: WebHeadArg?) -> WebHeadArg? {
        switch webHead {
        case .hostname(let name)?:
            var name = name.lowercased()
            if name.hasSuffix(".") { name.removeLast() }
            return .hostname(name)
        case .addresses(let list)?: return .addresses(Array(Set(list.map { $0.lowercased() })).sorted())
        case nil: return nil
        }
    }

    static func text(_ webHead: WebHeadArg?) -> String {
        switch webHead {
        case .hostname(let name)?: name
        case .addresses(let list)?: list.joined(separator: ",")
        case nil: "none"
        }
    }

    private static func appStep(_ app: DesiredState.App, _ current: AppInfo?) -> ReconcileStep? {
        let reason: String
        if let current {
            if current.name != app.name {
                reason = "name \"\(current.name)\" -> \"\(app.name)\""
            } else if normalized(current.webHead) != normalized(app.webHead) {
                reason = "web head \(text(current.webHead)) -> \(text(app.webHead))"
            } else {
                return nil
            }
        } else {
            reason = "missing"
        }
        return ReconcileStep(.appPut(AppPutArgs(app: app.id, name: app.name, webHead: app.webHead)), "put app \(app.id) (\(reason))")
    }

    private static func groupSteps(_ group: DesiredState.Group, _ current: GroupInfo?, switchDelay: Double?)
        -> [ReconcileStep]
    {
        guard let current else {
            let create = ReconcileStep(
                .groupCreate(GroupCreateArgs(address: group.address, primary: group.primary, backup: group.backup)),
                "create \(group.address.map { "group \($0)" } ?? "a group"): primary \(group.primary ?? "-"), backup \(group.backup ?? "-")")
            guard let address = group.address else { return [create] }
            return [create] + activeSteps(group, address: address, active: .primary, pending: nil, version: nil, delay: switchDelay)
        }
        var steps: [ReconcileStep] = []
        var version = current.version
        let changed = ControlRole.allCases.filter { current.app(in: $0) != group.app(in: $0) }
        if !changed.isEmpty {
            let what = changed.map { "\($0.rawValue) \(current.app(in: $0) ?? "-") -> \(group.app(in: $0) ?? "-")" }
            let args = GroupUpdateArgs(
                address: current.address, primary: group.primary.map(ControlFieldChange.set) ?? .clear,
                backup: group.backup.map(ControlFieldChange.set) ?? .clear, ifVersion: version)
            steps.append(ReconcileStep(.groupUpdate(args),
                "update group \(current.address): \(what.joined(separator: ", ")) (if version \(version))"))
            version += 1
        }
        // Clearing the app a pending switch goes to cancels that switch.
        var pending = current.pending
        if let to = pending?.to, group.app(in: to) == nil { pending = nil }
        return steps + activeSteps(group, address: current.address, active: current.active, pending: pending?.to,
                                   version: version, delay: switchDelay)
    }

    private static func activeSteps(_ group: DesiredState.Group, address: String, active: ControlRole,
                                    pending: ControlRole?, version: UInt64?, delay: Double?) -> [ReconcileStep]
    {
        guard let wanted = group.active else { return [] }
        let guardText = version.map { " (if version \($0))" } ?? ""
        if active != wanted {
            if pending == wanted { return [] }
            let when = delay.map { "in \(ControlDuration.string(seconds: $0))" } ?? "after the default delay"
            let args = GroupSwitchArgs(address: address, to: wanted, delaySeconds: delay, requestedBy: "reconcile")
            return [ReconcileStep(.groupSwitch(args), "switch group \(address) to \(wanted.rawValue) \(when)\(guardText)",
                                  expectVersion: version)]
        }
        guard let pending else { return [] }
        return [ReconcileStep(.groupCancel(GroupAddressArgs(address: address)),
                              "cancel the pending switch of group \(address) to \(pending.rawValue)\(guardText)",
                              expectVersion: version)]
    }
}
