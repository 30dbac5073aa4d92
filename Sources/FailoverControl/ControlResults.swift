/// What `group.switch` did.
public enum SwitchOutcome: String, Sendable, Hashable, CaseIterable {
    /// A switch is now pending (any earlier one replaced).
    case scheduled
    /// Delay 0: the target role is active now.
    case applied
    /// The target was already active; the pending switch was cancelled.
    case cancelled
    /// The target was already active and nothing was pending.
    case unchanged
}

/// The result of `group.switch`: `{"group": {...}, "outcome": "scheduled"}`.
public struct SwitchResult: Sendable, Hashable {
    public var group: GroupInfo
    public var outcome: SwitchOutcome

    public init(group: GroupInfo, outcome: SwitchOutcome) {
        self.group = group
        self.outcome = outcome
    }

    public var json: JSONValue { .object(["group": group.json, "outcome": .string(outcome.rawValue)]) }

    public init?(json: JSONValue) {
        guard let groupJSON = json["group"], let group = GroupInfo(json: groupJSON),
            let outcomeName = json["outcome"]?.stringValue, let outcome = SwitchOutcome(rawValue: outcomeName)
        else { return nil }
        self.init(group: group, outcome: outcome)
    }
}

/// The result of `group.cancel`: `{"cancelled": true, "group": {...}}` (`false` when nothing was pending).
public struct CancelResult: Sendable, Hashable {
    public var group: GroupInfo
    public var cancelled: Bool

    public init(group: GroupInfo, cancelled: Bool) {
        self.group = group
        self.cancelled = cancelled
    }

    public var json: JSONValue { .object(["group": group.json, "cancelled": .bool(cancelled)]) }

    public init?(json: JSONValue) {
        guard let groupJSON = json["group"], let group = GroupInfo(json: groupJSON),
            let cancelled = json["cancelled"]?.boolValue
        else { return nil }
        self.init(group: group, cancelled: cancelled)
    }
}

/// The result of `export`: the whole state, enough to reconcile against.
///
/// `{"apps": [...], "exported_at": "...", "groups": [...], "serial": 42, "tombstones": ["..."], "zone": "..."}`,
/// apps sorted by id, groups and tombstones by address.
public struct ExportInfo: Sendable, Hashable {
    public var zone: String
    public var serial: UInt32
    public var exportedAt: Int64
    public var apps: [AppInfo]
    public var groups: [GroupInfo]
    public var tombstones: [String]

    public init(
        zone: String, serial: UInt32, exportedAt: Int64, apps: [AppInfo], groups: [GroupInfo], tombstones: [String]
    ) {
        self.zone = zone
        self.serial = serial
        self.exportedAt = exportedAt
        self.apps = apps.sorted { $0.app.utf8.lexicographicallyPrecedes($1.app.utf8) }
        self.groups = groups.sorted { $0.address < $1.address }
        self.tombstones = tombstones.sorted()
    }

    public var json: JSONValue {
        .object([
            "zone": .string(zone), "serial": JSONValue(serial),
            "exported_at": .string(RFC3339.string(fromMilliseconds: exportedAt)),
            "apps": .array(apps.map(\.json)), "groups": .array(groups.map(\.json)),
            "tombstones": .array(tombstones.map(JSONValue.string)),
        ])
    }
}

/// Builders for the small results that have no type of their own.
public enum ControlResults {
    /// `app.list`: `{"apps": [...]}` sorted by id.
    public static func appList(_ apps: [AppInfo]) -> JSONValue {
        .object(["apps": .array(apps.sorted { $0.app.utf8.lexicographicallyPrecedes($1.app.utf8) }.map(\.json))])
    }

    /// `group.list`: `{"groups": [...]}` sorted by address.
    public static func groupList(_ groups: [GroupInfo]) -> JSONValue {
        .object(["groups": .array(groups.sorted { $0.address < $1.address }.map(\.json))])
    }

    /// `app.remove`: `{"app": "app1", "removed": true}`.
    public static func appRemoved(_ app: String) -> JSONValue {
        .object(["app": .string(app), "removed": true])
    }

    /// `group.delete`: `{"address": "414-262-781", "deleted": true}`.
    public static func groupDeleted(_ address: String) -> JSONValue {
        .object(["address": .string(address), "deleted": true])
    }

    /// `watch`: `{"serial": 42, "watching": true}`; events follow on the same connection.
    public static func watching(serial: UInt32) -> JSONValue {
        .object(["watching": true, "serial": JSONValue(serial)])
    }

    /// `reload`: `{"serial": 43, "static_records": 5, "zone": "cloud66.net."}`.
    public static func reloaded(zone: String, serial: UInt32, staticRecords: Int) -> JSONValue {
        .object(["zone": .string(zone), "serial": JSONValue(serial), "static_records": JSONValue(staticRecords)])
    }
}
