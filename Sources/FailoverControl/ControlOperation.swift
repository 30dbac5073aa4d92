/// Every operation of control protocol version 1, by its wire name.
public enum ControlOperation: String, Sendable, Hashable, CaseIterable {
    case hello
    case appPut = "app.put"
    case appRemove = "app.remove"
    case appGet = "app.get"
    case appList = "app.list"
    case appStatus = "app.status"
    case appReportHealth = "app.report_health"
    case groupCreate = "group.create"
    case groupUpdate = "group.update"
    case groupSwitch = "group.switch"
    case groupCancel = "group.cancel"
    case groupDelete = "group.delete"
    case groupGet = "group.get"
    case groupList = "group.list"
    case export
    case watch
    case stats
    case reload

    /// The name on the wire, e.g. `"group.switch"`.
    public var name: String { rawValue }

    /// True for operations that change state and are journalled before they are acknowledged.
    public var isMutation: Bool {
        switch self {
        case .appPut, .appRemove, .groupCreate, .groupUpdate, .groupSwitch, .groupCancel, .groupDelete: true
        // app.report_health changes only health, which is not persisted.
        case .hello, .appGet, .appList, .appStatus, .appReportHealth, .groupGet, .groupList, .export, .watch, .stats, .reload: false
        }
    }
}

/// The two roles of a group, by their wire names.
public enum ControlRole: String, Sendable, Hashable, CaseIterable {
    case primary
    case backup

    /// The other role.
    public var other: ControlRole { self == .primary ? .backup : .primary }
}

/// An app's status as reported by `app.status`, `app.get` and `status.changed`.
public enum AppStatusName: String, Sendable, Hashable, CaseIterable {
    /// The active app of at least one group.
    case online
    /// In some group, active in none.
    case offline
    /// In no group.
    case none
}
