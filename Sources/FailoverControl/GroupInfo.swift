/// A group as it appears in results and events:
///
/// ```json
/// {"active":"primary","address":"414-262-781","backup":"app2","created":"2026-11-27T21:00:00.000Z",
///  "name":"414-262-781.cloud66.net.","pending":null,"primary":"app1","updated":"...","version":3}
/// ```
public struct GroupInfo: Sendable, Hashable {
    /// `NNN-NNN-NNN`.
    public var address: String
    /// The full DNS name, with the trailing dot.
    public var name: String
    public var primary: String?
    public var backup: String?
    public var active: ControlRole
    public var pending: PendingInfo?
    public var version: UInt64
    /// Milliseconds since the Unix epoch.
    public var created: Int64
    /// Milliseconds since the Unix epoch.
    public var updated: Int64
    /// The health policy with every field set; nil (member absent) when it is the default (no automation).
    public var policy: GroupPolicyArgs?

    public init(
        address: String, name: String, primary: String?, backup: String?, active: ControlRole,
        pending: PendingInfo?, version: UInt64, created: Int64, updated: Int64, policy: GroupPolicyArgs? = nil
    ) {
        self.policy = policy
        self.address = address
        self.name = name
        self.primary = primary
        self.backup = backup
        self.active = active
        self.pending = pending
        self.version = version
        self.created = created
        self.updated = updated
    }

    /// The app id in `role`, if any.
    public func app(in role: ControlRole) -> String? {
        role == .primary ? primary : backup
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "address": .string(address),
            "name": .string(name),
            "primary": JSONValue(primary),
            "backup": JSONValue(backup),
            "active": .string(active.rawValue),
            "pending": pending?.json ?? .null,
            "version": JSONValue(version),
            "created": .string(RFC3339.string(fromMilliseconds: created)),
            "updated": .string(RFC3339.string(fromMilliseconds: updated)),
        ]
        if let policy { members["policy"] = .object(policy.json) }
        return .object(members)
    }

    /// Reads a group object; nil when a required field is missing or has the wrong type.
    public init?(json: JSONValue) {
        guard let address = json["address"]?.stringValue, let name = json["name"]?.stringValue,
            let activeName = json["active"]?.stringValue, let active = ControlRole(rawValue: activeName),
            let version = json["version"]?.int64Value, version >= 0,
            let created = json["created"]?.stringValue.flatMap(RFC3339.milliseconds(from:)),
            let updated = json["updated"]?.stringValue.flatMap(RFC3339.milliseconds(from:))
        else { return nil }
        var pending: PendingInfo?
        if let pendingJSON = json["pending"], !pendingJSON.isNull {
            guard let decoded = PendingInfo(json: pendingJSON) else { return nil }
            pending = decoded
        }
        var policy: GroupPolicyArgs?
        if let members = json["policy"]?.objectValue {
            policy = GroupPolicyArgs(
                autoFailover: members["auto_failover"]?.boolValue, failback: members["failback"]?.stringValue,
                failbackAfterSeconds: members["failback_after_seconds"]?.int64Value.map { UInt64(max(0, $0)) },
                minSwitchIntervalSeconds: members["min_switch_interval_seconds"]?.int64Value.map { UInt64(max(0, $0)) })
        }
        self.init(
            address: address, name: name, primary: json["primary"]?.stringValue, backup: json["backup"]?.stringValue,
            active: active, pending: pending, version: UInt64(version), created: created, updated: updated,
            policy: policy)
    }
}

/// A pending switch: `{"due": "...", "requested_at": "...", "requested_by": "ops"|null, "to": "backup"}`.
public struct PendingInfo: Sendable, Hashable {
    public var to: ControlRole
    /// When it takes effect, milliseconds since the Unix epoch.
    public var due: Int64
    /// When it was asked for, milliseconds since the Unix epoch.
    public var requestedAt: Int64
    public var requestedBy: String?

    public init(to: ControlRole, due: Int64, requestedAt: Int64, requestedBy: String?) {
        self.to = to
        self.due = due
        self.requestedAt = requestedAt
        self.requestedBy = requestedBy
    }

    public var json: JSONValue {
        .object([
            "to": .string(to.rawValue),
            "due": .string(RFC3339.string(fromMilliseconds: due)),
            "requested_at": .string(RFC3339.string(fromMilliseconds: requestedAt)),
            "requested_by": JSONValue(requestedBy),
        ])
    }

    public init?(json: JSONValue) {
        guard let toName = json["to"]?.stringValue, let to = ControlRole(rawValue: toName),
            let due = json["due"]?.stringValue.flatMap(RFC3339.milliseconds(from:)),
            let requestedAt = json["requested_at"]?.stringValue.flatMap(RFC3339.milliseconds(from:))
        else { return nil }
        self.init(to: to, due: due, requestedAt: requestedAt, requestedBy: json["requested_by"]?.stringValue)
    }
}
