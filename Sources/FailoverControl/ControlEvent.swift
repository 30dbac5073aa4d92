/// Event names sent to watching connections.
public enum ControlEventName: String, Sendable, Hashable, CaseIterable {
    /// A switch was scheduled (or rescheduled): fields `address`, `to`, `due`, `requested_by`, `group`.
    case switchScheduled = "switch.scheduled"
    /// A switch took effect: fields `address`, `from`, `to`, `group`.
    case switchDone = "switch.done"
    /// A pending switch was dropped: fields `address`, `to`, `reason`, `group`.
    case switchCancelled = "switch.cancelled"
    /// A group was created, had its apps changed, or was deleted: fields `address`, `change`, `group` (null
    /// when deleted).
    case groupChanged = "group.changed"
    /// An app was created, replaced or removed: fields `app`, `change`, `info` (null when removed).
    case appChanged = "app.changed"
    /// An app's status (online/offline/none) changed: fields `app`, `status`, `previous`.
    case statusChanged = "status.changed"
    /// An app's combined health verdict changed: fields `app`, `state`, `previous`, `health`.
    case healthChanged = "health.changed"
    /// A group's active app is down and the health policy cannot switch: fields `address`, `reason`
    /// (`target_down`, `target_unknown`), `group`.
    case failoverBlocked = "failover.blocked"
}

/// Why a pending switch was cancelled.
public enum SwitchCancelReason: String, Sendable, Hashable, CaseIterable {
    /// `group.cancel`.
    case requested
    /// `group.switch` to the role that is already active.
    case alreadyActive = "already_active"
    /// `group.update` cleared the app the switch was going to.
    case appCleared = "app_cleared"
}

/// What happened to a group or an app in `group.changed` / `app.changed`.
public enum ChangeKind: String, Sendable, Hashable, CaseIterable {
    case created
    case updated
    case deleted
}

/// One event line: `{"event": "switch.done", "at": "2026-11-27T22:00:00.000Z", ...fields}`.
///
/// `event` and `at` are reserved: fields cannot override them. Unknown event names are kept as strings so a
/// client keeps working when a newer daemon adds events.
public struct ControlEvent: Sendable, Hashable {
    public var name: String
    /// When it happened, milliseconds since the Unix epoch.
    public var at: Int64
    public var fields: [String: JSONValue]

    public init(name: String, at: Int64, fields: [String: JSONValue]) {
        self.name = name
        self.at = at
        self.fields = fields
    }

    public init(_ name: ControlEventName, at: Int64, fields: [String: JSONValue]) {
        self.init(name: name.rawValue, at: at, fields: fields)
    }

    /// The known event name, nil for events added by a newer daemon.
    public var knownName: ControlEventName? { ControlEventName(rawValue: name) }

    public var json: JSONValue {
        var members = fields
        members["event"] = .string(name)
        members["at"] = .string(RFC3339.string(fromMilliseconds: at))
        return .object(members)
    }

    /// The encoded line, `\n` included.
    public var line: [UInt8] { json.line }

    /// Reads an event object; nil without a string `event` and a valid `at`.
    public init?(json: JSONValue) {
        guard var members = json.objectValue, let name = members["event"]?.stringValue,
            let atText = members["at"]?.stringValue, let at = RFC3339.milliseconds(from: atText)
        else { return nil }
        members["event"] = nil
        members["at"] = nil
        self.init(name: name, at: at, fields: members)
    }
}

extension ControlEvent {
    /// `switch.scheduled` for a group whose `pending` is set.
    public static func switchScheduled(_ group: GroupInfo, reason: String? = nil, at: Int64) -> ControlEvent {
        var fields: [String: JSONValue] = ["address": .string(group.address), "group": group.json]
        if let reason { fields["reason"] = .string(reason) }
        if let pending = group.pending {
            fields["to"] = .string(pending.to.rawValue)
            fields["due"] = .string(RFC3339.string(fromMilliseconds: pending.due))
            fields["requested_by"] = JSONValue(pending.requestedBy)
        }
        return ControlEvent(.switchScheduled, at: at, fields: fields)
    }

    /// `switch.done`: `group` is the group after the switch (its `active` is the new role).
    /// `reason` (`manual`, `scheduled`, `health`) says what made it.
    public static func switchDone(_ group: GroupInfo, from: ControlRole, reason: String? = nil, at: Int64)
        -> ControlEvent
    {
        var fields: [String: JSONValue] = [
            "address": .string(group.address), "from": .string(from.rawValue),
            "to": .string(group.active.rawValue), "group": group.json,
        ]
        if let reason { fields["reason"] = .string(reason) }
        return ControlEvent(.switchDone, at: at, fields: fields)
    }

    /// `switch.cancelled`: `to` is the role the dropped switch was going to.
    public static func switchCancelled(
        _ group: GroupInfo, to: ControlRole, reason: SwitchCancelReason, at: Int64
    )
        -> ControlEvent
    {
        ControlEvent(
            .switchCancelled, at: at,
            fields: [
                "address": .string(group.address), "to": .string(to.rawValue), "reason": .string(reason.rawValue),
                "group": group.json,
            ])
    }

    /// `group.changed`: `group` is nil for a deleted group.
    public static func groupChanged(
        address: String, change: ChangeKind, group: GroupInfo?, at: Int64
    )
        -> ControlEvent
    {
        ControlEvent(
            .groupChanged, at: at,
            fields: ["address": .string(address), "change": .string(change.rawValue), "group": group?.json ?? .null])
    }

    /// `app.changed`: `info` is nil for a removed app.
    public static func appChanged(app: String, change: ChangeKind, info: AppInfo?, at: Int64) -> ControlEvent {
        ControlEvent(
            .appChanged, at: at,
            fields: ["app": .string(app), "change": .string(change.rawValue), "info": info?.json ?? .null])
    }

    /// `status.changed`.
    public static func statusChanged(
        app: String, status: AppStatusName, previous: AppStatusName, at: Int64
    )
        -> ControlEvent
    {
        ControlEvent(
            .statusChanged, at: at,
            fields: [
                "app": .string(app), "status": .string(status.rawValue), "previous": .string(previous.rawValue),
            ])
    }
}
