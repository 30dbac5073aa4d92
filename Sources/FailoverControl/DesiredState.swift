/// The platform's desired state, read by `failoverctl reconcile` (format: docs/platform-client.md,
/// "Desired state"). Apps need `app`, `name` and `web_head` (null: not deployed); a group's
/// `address`, `primary`, `backup` and `active` are optional (a missing role means none).
public struct DesiredState: Sendable, Hashable {
    public struct App: Sendable, Hashable {
        public var id: String
        public var name: String
        public var webHead: WebHeadArg?

        public init(id: String, name: String, webHead: WebHeadArg?) {
            self.id = id
            self.name = name
            self.webHead = webHead
        }
    }

    public struct Group: Sendable, Hashable {
        /// nil: a new group, created on every apply (write its address back into the file).
        public var address: String?
        public var primary: String?
        public var backup: String?
        /// nil: whichever side is active stays active.
        public var active: ControlRole?

        public init(address: String? = nil, primary: String? = nil, backup: String? = nil, active: ControlRole? = nil) {
            self.address = address
            self.primary = primary
            self.backup = backup
            self.active = active
        }

        public func app(in role: ControlRole) -> String? { role == .primary ? primary : backup }
    }

    public var apps: [App]
    public var groups: [Group]

    public init(apps: [App], groups: [Group]) throws(DesiredStateError) {
        self.apps = apps
        self.groups = groups
        var seenApps = Set<String>()
        for app in apps where !seenApps.insert(app.id).inserted { throw DesiredStateError("app \(app.id) twice") }
        var seenGroups = Set<String>()
        for group in groups {
            if let address = group.address, !seenGroups.insert(address).inserted {
                throw DesiredStateError("group \(address) twice")
            }
            if let active = group.active, group.app(in: active) == nil {
                throw DesiredStateError("group \(group.address ?? "(new)"): active \(active.rawValue) has no app")
            }
        }
    }

    /// Reads `{"apps": [...], "groups": [...]}` (from JSON or YAML).
    public init(json: JSONValue) throws(DesiredStateError) {
        guard let top = json.objectValue else { throw DesiredStateError("the desired state must be a mapping") }
        try Self.allow(top, ["apps", "groups"], "the desired state")
        var apps: [App] = []
        for entry in try Self.list(top["apps"], "apps") {
            guard let app = entry.objectValue else { throw DesiredStateError("apps: each entry must be a mapping") }
            try Self.allow(app, ["app", "name", "web_head"], "app")
            guard let id = app["app"]?.stringValue else { throw DesiredStateError("app: `app` (a string) is required") }
            guard let name = app["name"]?.stringValue else { throw DesiredStateError("app \(id): `name` is required") }
            guard let webHeadJSON = app["web_head"] else {
                throw DesiredStateError("app \(id): `web_head` is required (null for none)")
            }
            var webHead: WebHeadArg?
            if !webHeadJSON.isNull {
                guard let decoded = WebHeadArg(json: webHeadJSON) else {
                    throw DesiredStateError("app \(id): web_head must be {hostname: ...} or {addresses: [...]}")
                }
                webHead = decoded
            }
            apps.append(App(id: id, name: name, webHead: webHead))
        }
        var groups: [Group] = []
        for entry in try Self.list(top["groups"], "groups") {
            guard let group = entry.objectValue else { throw DesiredStateError("groups: each entry must be a mapping") }
            try Self.allow(group, ["address", "primary", "backup", "active"], "group")
            func text(_ key: String) throws(DesiredStateError) -> String? {
                guard let value = group[key], !value.isNull else { return nil }
                guard let string = value.stringValue else { throw DesiredStateError("group: \(key) must be a string") }
                return string
            }
            var active: ControlRole?
            if let name = try text("active") {
                guard let role = ControlRole(rawValue: name) else {
                    throw DesiredStateError("group: active must be primary or backup, not \(name)")
                }
                active = role
            }
            groups.append(
                Group(address: try text("address"), primary: try text("primary"), backup: try text("backup"), active: active))
        }
        try self.init(apps: apps, groups: groups)
    }

    private static func list(_ value: JSONValue?, _ key: String) throws(DesiredStateError) -> [JSONValue] {
        guard let value, !value.isNull else { return [] }
        guard let list = value.arrayValue else { throw DesiredStateError("\(key) must be a list") }
        return list
    }

    private static func allow(_ object: [String: JSONValue], _ keys: Set<String>, _ what: String)
        throws(DesiredStateError)
    {
        if let unknown = object.keys.sorted().first(where: { !keys.contains($0) }) {
            throw DesiredStateError("\(what): unknown key \(unknown)")
        }
    }
}

/// A desired-state file that cannot be used, with the reason.
public struct DesiredStateError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
