/// One fully resolved change to the model: what the journal records.
///
/// Every input that is not a pure function of the model is recorded (allocated addresses, the `now` timestamp,
/// due times), so replaying the journal rebuilds the exact state. Times are milliseconds since the Unix epoch.
/// The JSON form is synthesized from the case and label names: renaming either breaks existing journals.
public enum Mutation: Hashable, Sendable, Codable {
    /// Creates or replaces an app.
    case appPut(App)
    /// Removes an app no group references.
    case appRemove(AppID)
    /// Creates a group at an address already chosen (allocated or given).
    case groupCreate(address: GroupAddress, primary: AppID?, backup: AppID?, now: Int64, policy: GroupPolicy? = nil)
    /// Sets or clears a group's apps and sets its policy (nil: keep), optionally only if the group is at
    /// `ifVersion`.
    case groupUpdate(
        address: GroupAddress, primary: FieldChange<AppID>, backup: FieldChange<AppID>, ifVersion: UInt64?,
        now: Int64, policy: GroupPolicy? = nil
    )
    /// Asks for `to` to become active at `due` (`due == requestedAt` applies at once;
    /// `to` equal to the active role cancels any pending switch).
    case groupSwitch(address: GroupAddress, to: Role, due: Int64, requestedAt: Int64, requestedBy: String?)
    /// Removes a pending switch, if any.
    case groupCancel(address: GroupAddress, now: Int64)
    /// Deletes a group that holds no app; its address is tombstoned for ever.
    case groupDelete(address: GroupAddress)
    /// The scheduler's change when a pending switch falls due; refused if the pending switch is no longer
    /// the one due at `expectedDue`.
    case switchApply(address: GroupAddress, expectedDue: Int64, now: Int64)
    /// An automatic switch decided by the health policy: refused unless the group is still at
    /// `expectedVersion` with nothing pending, so any manual change made meanwhile wins.
    case healthSwitch(address: GroupAddress, to: Role, expectedVersion: UInt64, now: Int64)
}
