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
    /// What the group does on its own when its apps' health changes.
    public var policy: GroupPolicy

    public init(
        address: GroupAddress, primary: AppID?, backup: AppID?, active: Role = .primary,
        pending: PendingSwitch? = nil, version: UInt64 = 1, created: Int64, updated: Int64,
        policy: GroupPolicy = .default
    ) {
        self.policy = policy
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

    private enum CodingKeys: String, CodingKey {
        case address, primary, backup, active, pending, version, created, updated, policy
    }

    /// Reads format 1 JSON too, where groups have no `policy` (the default then).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            address: try container.decode(GroupAddress.self, forKey: .address),
            primary: try container.decodeIfPresent(AppID.self, forKey: .primary),
            backup: try container.decodeIfPresent(AppID.self, forKey: .backup),
            active: try container.decode(Role.self, forKey: .active),
            pending: try container.decodeIfPresent(PendingSwitch.self, forKey: .pending),
            version: try container.decode(UInt64.self, forKey: .version),
            created: try container.decode(Int64.self, forKey: .created),
            updated: try container.decode(Int64.self, forKey: .updated),
            policy: try container.decodeIfPresent(GroupPolicy.self, forKey: .policy) ?? .default)
    }
}
