/// What a mutation changed, for watchers and for the daemon (scheduler, snapshot, NOTIFY).
public enum ModelEvent: Hashable, Sendable {
    /// A switch was scheduled or replaced; `group.pending` holds it.
    case switchScheduled(Group)
    /// A switch took effect; `group.active` is the new role.
    case switchDone(Group, reason: SwitchReason)
    /// A pending switch was removed (explicitly, by asking for the active role, or because its target app
    /// was cleared).
    case switchCancelled(Group, cancelled: PendingSwitch)
    /// A group was created or its apps changed.
    case groupChanged(Group)
    /// A group was deleted; its address is now tombstoned.
    case groupDeleted(GroupAddress)
    /// An app was created or replaced.
    case appChanged(App)
    /// An app was removed.
    case appRemoved(AppID)
    /// An app's status changed.
    case statusChanged(app: AppID, old: AppState, new: AppState)
}

/// Why a switch took effect.
public enum SwitchReason: String, Hashable, Sendable, CaseIterable {
    /// `group.switch` with no delay.
    case manual
    /// A switch scheduled with `group.switch` fell due.
    case scheduled
    /// The health policy (automatic failover or failback).
    case health
}
