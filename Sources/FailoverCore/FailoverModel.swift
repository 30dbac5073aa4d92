/// The failover state: apps, groups, tombstoned addresses, and the zone serial.
///
/// A value type: readers keep the copy they were given. Change it only through ``apply(_:)``, which validates
/// the whole mutation before touching anything, so a failed mutation leaves the model as it was.
public struct FailoverModel: Equatable, Sendable {
    public private(set) var apps: [AppID: App]
    public private(set) var groups: [GroupAddress: Group]
    /// Deleted addresses, never handed out again.
    public private(set) var tombstones: Set<GroupAddress>
    /// The zone serial: +1 on every mutation that changed something.
    public private(set) var serial: UInt32

    /// For each app, the groups that reference it; derived from `groups`.
    var membership: [AppID: Set<GroupAddress>]
    /// Groups with a pending switch; derived from `groups`.
    public private(set) var pendingCount: Int

    /// An empty model; `serial` is the first zone serial.
    public init(serial: UInt32 = 1) {
        self.apps = [:]
        self.groups = [:]
        self.tombstones = []
        self.serial = serial
        self.membership = [:]
        self.pendingCount = 0
    }

    init(apps: [App], groups: [Group], tombstones: [GroupAddress], serial: UInt32) {
        self.init(serial: serial)
        for app in apps { self.apps[app.id] = app }
        for group in groups { setGroup(group) }
        self.tombstones = Set(tombstones)
    }

    public static func == (lhs: FailoverModel, rhs: FailoverModel) -> Bool {
        lhs.serial == rhs.serial && lhs.apps == rhs.apps && lhs.groups == rhs.groups
            && lhs.tombstones == rhs.tombstones
    }

    // MARK: Queries

    /// The status of `app` and the groups it belongs to. An unknown app reads `none` with no groups.
    public func status(of app: AppID) -> AppStatus {
        let memberships = (membership[app] ?? []).sorted().compactMap { address -> AppMembership? in
            guard let group = groups[address], let role = group.role(of: app) else { return nil }
            return AppMembership(address: address, role: role, active: group.active == role)
        }
        let state: AppState
        if memberships.contains(where: \.active) {
            state = .online
        } else {
            state = memberships.isEmpty ? .none : .offline
        }
        return AppStatus(app: app, state: state, groups: memberships)
    }

    /// Just the state of `app` (no sorted group list): O(groups it is in).
    public func state(of app: AppID) -> AppState {
        guard let addresses = membership[app], !addresses.isEmpty else { return .none }
        for address in addresses where groups[address]?.activeApp == app { return .online }
        return .offline
    }

    /// Addresses of the groups that reference `app` as primary or backup, unsorted.
    public func addresses(referencing app: AppID) -> Set<GroupAddress> {
        membership[app] ?? []
    }

    /// Groups that reference `app` as primary or backup, sorted by address.
    public func groups(referencing app: AppID) -> [Group] {
        (membership[app] ?? []).sorted().compactMap { groups[$0] }
    }

    /// Groups whose answers come from `app` now (it is their active app), sorted by address.
    public func groups(following app: AppID) -> [Group] {
        groups(referencing: app).filter { $0.activeApp == app }
    }

    /// Groups with a pending switch due at or before `time` (ms), earliest first.
    public func dueSwitches(atOrBefore time: Int64) -> [Group] {
        groups.values.filter { ($0.pending?.due ?? .max) <= time }.sorted(by: Self.dueOrder)
    }

    /// Every group with a pending switch, earliest first (to seed the scheduler).
    public var pendingSwitches: [Group] {
        groups.values.filter { $0.pending != nil }.sorted(by: Self.dueOrder)
    }

    /// The earliest pending switch, if any.
    public var nextDue: (address: GroupAddress, due: Int64)? {
        var best: (address: GroupAddress, due: Int64)?
        for group in groups.values {
            guard let due = group.pending?.due else { continue }
            if let current = best, (current.due, current.address) <= (due, group.address) { continue }
            best = (group.address, due)
        }
        return best
    }

    private static func dueOrder(_ lhs: Group, _ rhs: Group) -> Bool {
        (lhs.pending?.due ?? .max, lhs.address) < (rhs.pending?.due ?? .max, rhs.address)
    }

    // MARK: Storage

    mutating func setGroup(_ group: Group) {
        if let old = groups.updateValue(group, forKey: group.address) {
            if old.pending != nil { pendingCount -= 1 }
            if old.primary != group.primary || old.backup != group.backup {
                removeMembership(of: old)
                addMembership(of: group)
            }
        } else {
            addMembership(of: group)
        }
        if group.pending != nil { pendingCount += 1 }
    }

    mutating func removeGroup(_ address: GroupAddress) {
        guard let old = groups.removeValue(forKey: address) else { return }
        if old.pending != nil { pendingCount -= 1 }
        removeMembership(of: old)
    }

    private mutating func addMembership(of group: Group) {
        if let app = group.primary { membership[app, default: []].insert(group.address) }
        if let app = group.backup { membership[app, default: []].insert(group.address) }
    }

    private mutating func removeMembership(of group: Group) {
        for app in [group.primary, group.backup] {
            guard let app else { continue }
            membership[app]?.remove(group.address)
            if membership[app]?.isEmpty == true { membership[app] = nil }
        }
    }

    mutating func putApp(_ app: App) { apps[app.id] = app }
    mutating func removeApp(_ id: AppID) { apps[id] = nil }
    mutating func addTombstone(_ address: GroupAddress) { tombstones.insert(address) }
    mutating func bumpSerial() { serial &+= 1 }
}

extension FailoverModel {
    /// What a batch of in-place mutations overwrote: the first earlier value
    /// of each app and group it touched, the tombstones it added and the
    /// serial before it. ``revert(_:)`` puts it all back (used when a batch
    /// cannot be made durable).
    public struct Undo: Sendable {
        var apps: [AppID: App?] = [:]
        var groups: [GroupAddress: Group?] = [:]
        var tombstones: [GroupAddress] = []
        var serial: UInt32? = nil

        public init() {}

        public var isEmpty: Bool { serial == nil }
    }

    mutating func remember(app id: AppID, in undo: inout Undo) {
        if undo.apps.index(forKey: id) == nil { undo.apps[id] = .some(apps[id]) }
    }

    mutating func remember(group address: GroupAddress, in undo: inout Undo) {
        if undo.groups.index(forKey: address) == nil { undo.groups[address] = .some(groups[address]) }
    }

    /// Puts back everything `undo` recorded, newest batch state first.
    public mutating func revert(_ undo: Undo) {
        for (address, old) in undo.groups {
            if let old { setGroup(old) } else { removeGroup(address) }
        }
        for (id, old) in undo.apps {
            if let old { putApp(old) } else { removeApp(id) }
        }
        for address in undo.tombstones { tombstones.remove(address) }
        if let serial = undo.serial { self.serial = serial }
    }
}

extension FailoverModel: Codable {
    private enum CodingKeys: String, CodingKey {
        case serial
        case apps
        case groups
        case tombstones
    }

    /// Encodes sorted arrays, so equal models encode to equal bytes.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(serial, forKey: .serial)
        try container.encode(apps.values.sorted { $0.id < $1.id }, forKey: .apps)
        try container.encode(groups.values.sorted { $0.address < $1.address }, forKey: .groups)
        try container.encode(tombstones.sorted(), forKey: .tombstones)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            apps: try container.decode([App].self, forKey: .apps),
            groups: try container.decode([Group].self, forKey: .groups),
            tombstones: try container.decode([GroupAddress].self, forKey: .tombstones),
            serial: try container.decode(UInt32.self, forKey: .serial)
        )
    }
}
