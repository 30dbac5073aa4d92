/// What the health policy does with one group now: a pure function of the group, its policy, its apps'
/// combined health and the time of its last switch.
public enum FailoverDecision: Sendable, Hashable {
    /// Nothing to do.
    case stay
    /// Switch to `role` now.
    case switchTo(Role, failback: Bool)
    /// A switch is called for but the last one was less than `min_switch_interval` ago; retry at `until`.
    case damped(until: Int64)
    /// The active app is down and the other cannot take over (down, unknown or absent).
    case noHealthyTarget

    /// One app's combined health and, when up, since when (ms).
    public struct Health: Sendable, Hashable {
        public var state: HealthState
        public var since: Int64?

        public init(_ state: HealthState, since: Int64? = nil) {
            self.state = state
            self.since = since
        }

        public static let unknown = Health(.unknown)
    }

    /// Decides for `group` at `now`. `lastSwitch` is the last switch of the group (automatic or manual) this
    /// process saw, nil if none. Never switches to an app that is not up, never over a pending (manual) switch.
    public static func decide(
        group: Group, policy: GroupPolicy, primary: Health, backup: Health, lastSwitch: Int64?, now: Int64
    ) -> FailoverDecision {
        guard policy.autoFailover, group.pending == nil, group.primary != nil, group.backup != nil else {
            return .stay
        }
        let active = group.active == .primary ? primary : backup
        let other = group.active == .primary ? backup : primary
        let target: Role
        var failback = false
        if active.state == .down {
            guard other.state == .up else { return .noHealthyTarget }
            target = group.active.other
        } else if group.active == .backup, policy.failback == .auto, primary.state == .up,
            let since = primary.since, now - since >= Int64(policy.failbackAfter) * 1000
        {
            target = .primary
            failback = true
        } else {
            return .stay
        }
        if let lastSwitch, now - lastSwitch < Int64(policy.minSwitchInterval) * 1000 {
            return .damped(until: lastSwitch + Int64(policy.minSwitchInterval) * 1000)
        }
        return .switchTo(target, failback: failback)
    }
}
