/// An app as it appears in results:
/// `{"app": "app1", "name": "Shop", "status": "online", "web_head": {"hostname": "lb.example.net"} | null}`.
public struct AppInfo: Sendable, Hashable {
    public var app: String
    public var name: String
    /// nil: not deployed (no web head).
    public var webHead: WebHeadArg?
    public var status: AppStatusName
    /// The app's health check with every field filled in; nil (member absent) when not checked.
    public var healthCheck: HealthCheckArg?
    /// The health as the daemon sees it (``HealthInfo``); nil (member absent) when nothing checks the app.
    public var health: JSONValue?

    public init(app: String, name: String, webHead: WebHeadArg?, status: AppStatusName,
                healthCheck: HealthCheckArg? = nil, health: JSONValue? = nil) {
        self.app = app
        self.name = name
        self.webHead = webHead
        self.status = status
        self.healthCheck = healthCheck
        self.health = health
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "app": .string(app), "name": .string(name), "web_head": webHead?.json ?? .null,
            "status": .string(status.rawValue),
        ]
        if let healthCheck { members["health_check"] = healthCheck.json }
        if let health { members["health"] = health }
        return .object(members)
    }

    /// Appends the same bytes as `json.write(into:)`, without building the object.
    public func write(into output: inout [UInt8]) {
        output.append(contentsOf: #"{"app":"#.utf8)
        JSONValue.writeString(app, into: &output)
        // Members in sorted order, as the encoder writes them.
        if let health {
            output.append(contentsOf: #","health":"#.utf8)
            health.write(into: &output)
        }
        if let healthCheck {
            output.append(contentsOf: #","health_check":"#.utf8)
            healthCheck.json.write(into: &output)
        }
        output.append(contentsOf: #","name":"#.utf8)
        JSONValue.writeString(name, into: &output)
        output.append(contentsOf: #","status":"#.utf8)
        JSONValue.writeString(status.rawValue, into: &output)
        output.append(contentsOf: #","web_head":"#.utf8)
        switch webHead {
        case .hostname(let hostname)?:
            output.append(contentsOf: #"{"hostname":"#.utf8)
            JSONValue.writeString(hostname, into: &output)
            output.append(UInt8(ascii: "}"))
        case .addresses(let addresses)?:
            output.append(contentsOf: #"{"addresses":["#.utf8)
            for (index, address) in addresses.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                JSONValue.writeString(address, into: &output)
            }
            output.append(contentsOf: "]}".utf8)
        case nil:
            output.append(contentsOf: "null".utf8)
        }
        output.append(UInt8(ascii: "}"))
    }

    public init?(json: JSONValue) {
        guard let app = json["app"]?.stringValue, let name = json["name"]?.stringValue,
            let statusName = json["status"]?.stringValue, let status = AppStatusName(rawValue: statusName)
        else { return nil }
        var webHead: WebHeadArg?
        if let webHeadJSON = json["web_head"], !webHeadJSON.isNull {
            guard let decoded = WebHeadArg(json: webHeadJSON) else { return nil }
            webHead = decoded
        }
        self.init(app: app, name: name, webHead: webHead, status: status,
                  healthCheck: json["health_check"].flatMap(HealthCheckArg.init(json:)),
                  health: json["health"].flatMap { $0.isNull ? nil : $0 })
    }
}

/// The result of `app.status`:
/// `{"app": "app1", "groups": [{"active": true, "address": "414-262-781", "role": "primary"}], "status": "online"}`.
public struct AppStatusInfo: Sendable, Hashable {
    /// One group the app belongs to.
    public struct Membership: Sendable, Hashable {
        public var address: String
        public var role: ControlRole
        /// True when `role` is the group's active role.
        public var active: Bool

        public init(address: String, role: ControlRole, active: Bool) {
            self.address = address
            self.role = role
            self.active = active
        }

        public var json: JSONValue {
            .object(["address": .string(address), "role": .string(role.rawValue), "active": .bool(active)])
        }
    }

    public var app: String
    public var status: AppStatusName
    /// Sorted by address, then role (primary first).
    public var groups: [Membership]

    public init(app: String, status: AppStatusName, groups: [Membership]) {
        self.app = app
        self.status = status
        self.groups = groups.sorted {
            ($0.address, $0.role == .backup ? 1 : 0) < ($1.address, $1.role == .backup ? 1 : 0)
        }
    }

    public var json: JSONValue {
        .object(["app": .string(app), "status": .string(status.rawValue), "groups": .array(groups.map(\.json))])
    }

    public init?(json: JSONValue) {
        guard let app = json["app"]?.stringValue, let statusName = json["status"]?.stringValue,
            let status = AppStatusName(rawValue: statusName), let list = json["groups"]?.arrayValue
        else { return nil }
        var groups: [Membership] = []
        for element in list {
            guard let address = element["address"]?.stringValue, let roleName = element["role"]?.stringValue,
                let role = ControlRole(rawValue: roleName)
            else { return nil }
            groups.append(Membership(address: address, role: role, active: element["active"]?.boolValue ?? false))
        }
        self.init(app: app, status: status, groups: groups)
    }
}
