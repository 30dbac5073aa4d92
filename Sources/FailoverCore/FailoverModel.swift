/// The failover state: apps, groups, tombstoned addresses, and the zone serial.
///
/// A value type: readers keep the copy they were given. Change it only through ``apply(_:)``, which validates
/// the whole mutation before touching anything, so a failed mutation leaves the model as it was.
///
/// Stored packed (``AppStore``, ``GroupStore``): about 100 bytes a group with its app at a million groups,
/// where dictionaries of structs took a kilobyte. ``apps`` and ``groups`` read it like dictionaries.
public struct FailoverModel: Equatable, Sendable {
    var appStore = AppStore()
    var groupStore = GroupStore()
    /// Deleted addresses, never handed out again.
    public private(set) var tombstones: Set<GroupAddress>
    /// The zone serial: +1 on every mutation that changed something.
    public private(set) var serial: UInt32

    /// The apps by id.
    public var apps: Apps { Apps(store: appStore) }
    /// The groups by address.
    public var groups: Groups { Groups(apps: appStore, groups: groupStore) }
    /// Groups with a pending switch.
    public var pendingCount: Int { groupStore.pendingCount }

    /// Groups whose policy switches on health (unsorted): O(groups with a policy), not O(groups).
    public var autoFailoverGroups: [Group] {
        groupStore.policies.filter { $0.value.autoFailover }.map { group(at: Int($0.key)) }
    }

    /// Apps that have a health check (unsorted).
    public var healthCheckedApps: [App] {
        appStore.healthChecks.keys.compactMap { appStore.app(at: Int($0)) }
    }

    /// An empty model; `serial` is the first zone serial.
    public init(serial: UInt32 = 1) {
        self.tombstones = []
        self.serial = serial
    }

    init(apps: [App], groups: [Group], tombstones: [GroupAddress], serial: UInt32) {
        self.init(serial: serial)
        for app in apps { putApp(app) }
        for group in groups { setGroup(group) }
        self.tombstones = Set(tombstones)
    }

    public static func == (lhs: FailoverModel, rhs: FailoverModel) -> Bool {
        guard lhs.serial == rhs.serial, lhs.tombstones == rhs.tombstones, lhs.apps.count == rhs.apps.count,
            lhs.groups.count == rhs.groups.count
        else { return false }
        let rightGroups = rhs.groups
        return lhs.appStore.appSlots.allSatisfy { lhs.appStore.holdsSameApp(at: $0, as: rhs.appStore) }
            && lhs.groups.values.allSatisfy { rightGroups[$0.address] == $0 }
    }

    // MARK: Queries

    /// The status of `app` and the groups it belongs to. An unknown app reads `none` with no groups.
    public func status(of app: AppID) -> AppStatus {
        let memberships = memberRows(of: app).map { row, role in
            AppMembership(address: GroupAddress(value: groupStore.rows[row].address)!, role: role,
                          active: groupStore.rows[row].active == role)
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
        guard let slot = appStore.slot(of: app), appStore.rows[slot].members != 0 else { return .none }
        for (row, role) in groupStore.edges(from: appStore.rows[slot].members)
        where groupStore.rows[row].active == role {
            return .online
        }
        return .offline
    }

    /// Addresses of the groups that reference `app` as primary or backup, unsorted.
    public func addresses(referencing app: AppID) -> Set<GroupAddress> {
        guard let slot = appStore.slot(of: app) else { return [] }
        return Set(groupStore.edges(from: appStore.rows[slot].members).map {
            GroupAddress(value: groupStore.rows[$0.row].address)!
        })
    }

    /// Groups that reference `app` as primary or backup, sorted by address.
    public func groups(referencing app: AppID) -> [Group] {
        memberRows(of: app).map { group(at: $0.row) }
    }

    /// Groups whose answers come from `app` now (it is their active app), sorted by address.
    public func groups(following app: AppID) -> [Group] {
        groups(referencing: app).filter { $0.activeApp == app }
    }

    /// For each app (or bare referenced id), the groups that reference it, read from the lists: O(groups).
    var membership: [AppID: Set<GroupAddress>] {
        var result: [AppID: Set<GroupAddress>] = [:]
        for slot in appStore.rows.indices where appStore.rows[slot].members != 0 {
            let id = appStore.id(at: slot)
            result[id] = addresses(referencing: id)
        }
        return result
    }

    /// The rows holding `app` and its role in each (primary first when it holds both), sorted by address.
    private func memberRows(of app: AppID) -> [(row: Int, role: Role)] {
        guard let slot = appStore.slot(of: app) else { return [] }
        let rows = groupStore.rows
        return groupStore.edges(from: appStore.rows[slot].members)
            .filter { $0.role == .primary || rows[$0.row].primary != rows[$0.row].backup }
            .map { ($0.row, $0.role == .backup && rows[$0.row].primary == rows[$0.row].backup ? .primary : $0.role) }
            .sorted { rows[$0.row].address < rows[$1.row].address }
    }

    /// Groups with a pending switch due at or before `time` (ms), earliest first.
    public func dueSwitches(atOrBefore time: Int64) -> [Group] {
        groupStore.pendings.filter { $0.value.due <= time }.map { group(at: Int($0.key)) }.sorted(by: Self.dueOrder)
    }

    /// Every group with a pending switch, earliest first (to seed the scheduler).
    public var pendingSwitches: [Group] {
        groupStore.pendings.keys.map { group(at: Int($0)) }.sorted(by: Self.dueOrder)
    }

    /// The earliest pending switch, if any.
    public var nextDue: (address: GroupAddress, due: Int64)? {
        var best: (address: GroupAddress, due: Int64)?
        for (row, pending) in groupStore.pendings {
            let due = pending.due
            let address = GroupAddress(value: groupStore.rows[Int(row)].address)!
            if let current = best, (current.due, current.address) <= (due, address) { continue }
            best = (address, due)
        }
        return best
    }

    private static func dueOrder(_ lhs: Group, _ rhs: Group) -> Bool {
        (lhs.pending?.due ?? .max, lhs.address) < (rhs.pending?.due ?? .max, rhs.address)
    }

    /// The group in `row` of the group store.
    func group(at row: Int) -> Group { groups.group(at: row) }

    // MARK: Storage

    mutating func setGroup(_ group: Group) {
        let primary = group.primary.map { UInt32(appStore.reference($0) + 1) } ?? 0
        let backup = group.backup.map { UInt32(appStore.reference($0) + 1) } ?? 0
        let row: Int
        if let existing = groupStore.row(of: group.address) {
            row = existing
            let old = groupStore.rows[row]
            if old.primary != primary || old.backup != backup {
                unlinkApps(row)
                linkApps(row, primary: primary, backup: backup)
                dropIfUnreferenced(old.primary)
                dropIfUnreferenced(old.backup)
            }
        } else {
            addGroup(group, primary: primary, backup: backup)
            return
        }
        groupStore.setFields(row, from: group)
    }

    /// Adds `group` with its apps given as slots + 1 (0: none; its own
    /// `primary` and `backup` are not read); false if the address is taken.
    /// `known` skips that check: the caller knows the address is new.
    @discardableResult
    mutating func addGroup(_ group: Group, primary: UInt32, backup: UInt32, known: Bool = false) -> Bool {
        guard known || groupStore.row(of: group.address) == nil else { return false }
        let row = groupStore.insert(group.address)
        linkApps(row, primary: primary, backup: backup)
        groupStore.setFields(row, from: group)
        return true
    }

    mutating func removeGroup(_ address: GroupAddress) {
        guard let row = groupStore.row(of: address) else { return }
        let old = groupStore.rows[row]
        unlinkApps(row)
        groupStore.remove(row)
        dropIfUnreferenced(old.primary)
        dropIfUnreferenced(old.backup)
    }

    private mutating func linkApps(_ row: Int, primary: UInt32, backup: UInt32) {
        groupStore.setApps(row, primary: primary, backup: backup)
        link(row, .primary, toApp: primary)
        link(row, .backup, toApp: backup)
    }

    /// Puts group `row` on the member list of app slot `slot` (+1; 0 for none) in `role`.
    private mutating func link(_ row: Int, _ role: Role, toApp slot: UInt32) {
        guard slot != 0 else { return }
        var head = appStore.rows[Int(slot) - 1].members
        groupStore.link(row, role, head: &head)
        appStore.setMembers(Int(slot) - 1, head)
    }

    private mutating func unlinkApps(_ row: Int) {
        let fields = groupStore.rows[row]
        unlink(row, .primary, fromApp: fields.primary)
        unlink(row, .backup, fromApp: fields.backup)
        groupStore.setApps(row, primary: 0, backup: 0)
    }

    private mutating func unlink(_ row: Int, _ role: Role, fromApp slot: UInt32) {
        guard slot != 0 else { return }
        var head = appStore.rows[Int(slot) - 1].members
        groupStore.unlink(row, role, head: &head)
        appStore.setMembers(Int(slot) - 1, head)
    }

    private mutating func dropIfUnreferenced(_ slot: UInt32) {
        if slot != 0 { appStore.dropIfUnreferenced(Int(slot) - 1) }
    }

    mutating func putApp(_ app: App) { appStore.put(app) }

    mutating func removeApp(_ id: AppID) {
        if let slot = appStore.slot(of: id) { appStore.remove(slot) }
    }

    mutating func addTombstone(_ address: GroupAddress) { tombstones.insert(address) }
    mutating func bumpSerial() { serial &+= 1 }

    /// Bytes the packed stores hold (not counting tombstones), for measurements.
    public var storageBytes: (apps: Int, groups: Int) { (appStore.byteCount, groupStore.byteCount) }
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
