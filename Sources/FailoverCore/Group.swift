/// A failover group: an address that answers with the web head of its active app.
public struct Group: Hashable, Sendable, Codable {
    public var address: GroupAddress
    public var primary: AppID?
    public var backup: AppID?
    /// The role whose app the group answers with.
    public var active: Role
    /// A scheduled switch; its target is always the role that is not active.
    public var pending: PendingSwitch?
    /// 1 at creation, +1 on every change to the group (for `if_version` checks).
    public var version: UInt64
    /// Creation and last change, in milliseconds since the Unix epoch.
    public var created: Int64
    public var updated: Int64

    public init(
        address: GroupAddress, primary: AppID?, backup: AppID?, active: Role = .primary,
        pending: PendingSwitch? = nil, version: UInt64 = 1, created: Int64, updated: Int64
    ) {
        self.address = address
        self.primary = primary
        self.backup = backup
        self.active = active
        self.pending = pending
        self.version = version
        self.created = created
        self.updated = updated
    }

    /// The app holding `role`, if any.
    public func app(for role: Role) -> AppID? {
        role == .primary ? primary : backup
    }

    /// The app the group currently answers with, if any.
    public var activeApp: AppID? { app(for: active) }

    /// The role `app` holds in this group, if any.
    public func role(of app: AppID) -> Role? {
        if primary == app { return .primary }
        if backup == app { return .backup }
        return nil
    }

    /// Whether the group holds any app (a group with apps cannot be deleted).
    public var isEmpty: Bool { primary == nil && backup == nil }
}
