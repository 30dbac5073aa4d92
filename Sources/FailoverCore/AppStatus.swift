/// Whether an app serves traffic: `online` when it is the active app of a group, `offline` when it is in a
/// group but active in none, `none` when it is in no group.
public enum AppState: String, Hashable, Sendable, Codable {
    case online
    case offline
    case none
}

/// One group an app belongs to.
public struct AppMembership: Hashable, Sendable, Codable {
    public var address: GroupAddress
    public var role: Role
    /// Whether `role` is the group's active role.
    public var active: Bool

    public init(address: GroupAddress, role: Role, active: Bool) {
        self.address = address
        self.role = role
        self.active = active
    }
}

/// The status of an app and the groups it belongs to (sorted by address).
public struct AppStatus: Hashable, Sendable, Codable {
    public var app: AppID
    public var state: AppState
    public var groups: [AppMembership]

    public init(app: AppID, state: AppState, groups: [AppMembership]) {
        self.app = app
        self.state = state
        self.groups = groups
    }
}
