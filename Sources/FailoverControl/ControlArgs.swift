/// Arguments of one or more operations, decoded from and encoded to a request's `args` object.
public protocol ControlArgs: Sendable, Hashable {
    /// The argument names the operation accepts; any other name is a `bad_request`.
    static var names: [String] { get }
    /// Decodes and type-checks `args` for `operation`.
    init(args: ControlArgumentReader) throws(ControlError)
    /// The `args` object to send.
    var json: [String: JSONValue] { get }
}

extension ControlArgs {
    /// Decodes `args` for `operation`, rejecting unknown argument names first.
    public init(_ args: [String: JSONValue], for operation: ControlOperation) throws(ControlError) {
        try self.init(args: ControlArgumentReader(args, for: operation, allowed: Self.names))
    }
}

/// `hello`: optionally the protocol version the client speaks.
///
/// A client that names a version the daemon does not speak is refused with `bad_request`, so a future
/// client learns at once that it talks to an older daemon.
public struct HelloArgs: ControlArgs {
    public var protocolVersion: Int?

    public init(protocolVersion: Int? = nil) {
        self.protocolVersion = protocolVersion
    }

    public static let names = ["protocol"]

    public init(args: ControlArgumentReader) throws(ControlError) {
        guard let requested = try args.optionalUInt64("protocol") else { return }
        guard requested == UInt64(ControlProtocol.version) else {
            throw .badRequest(
                "hello: protocol \(requested) is not supported; this daemon speaks protocol \(ControlProtocol.version)")
        }
        protocolVersion = Int(requested)
    }

    public var json: [String: JSONValue] {
        protocolVersion.map { ["protocol": JSONValue($0)] } ?? [:]
    }
}

/// `app.put`: create or replace an app.
public struct AppPutArgs: ControlArgs {
    public var app: String
    public var name: String
    /// nil: the app has no web head (not deployed). Must be sent explicitly as `null`.
    public var webHead: WebHeadArg?
    /// nil (absent or null): the app is not health-checked.
    public var healthCheck: HealthCheckArg?

    public init(app: String, name: String, webHead: WebHeadArg?, healthCheck: HealthCheckArg? = nil) {
        self.app = app
        self.name = name
        self.webHead = webHead
        self.healthCheck = healthCheck
    }

    public static let names = ["app", "name", "web_head", "health_check"]

    public init(args: ControlArgumentReader) throws(ControlError) {
        app = try args.requiredString("app")
        name = try args.requiredString("name")
        webHead = try args.requiredWebHead("web_head")
        healthCheck = try args.optionalHealthCheck("health_check")
    }

    public var json: [String: JSONValue] {
        var result: [String: JSONValue] = ["app": .string(app), "name": .string(name), "web_head": webHead?.json ?? .null]
        if let healthCheck { result["health_check"] = healthCheck.json }
        return result
    }
}

/// `app.remove`, `app.get`, `app.status`: one app by id.
public struct AppIDArgs: ControlArgs {
    public var app: String

    public init(app: String) {
        self.app = app
    }

    public static let names = ["app"]

    public init(args: ControlArgumentReader) throws(ControlError) {
        app = try args.requiredString("app")
    }

    public var json: [String: JSONValue] { ["app": .string(app)] }
}

/// `group.create`: every argument optional; absent and null both mean "none".
public struct GroupCreateArgs: ControlArgs {
    /// A fixed address (for migrations); nil lets the daemon allocate one.
    public var address: String?
    public var primary: String?
    public var backup: String?
    /// The health policy; unset fields take the defaults.
    public var policy: GroupPolicyArgs

    public init(address: String? = nil, primary: String? = nil, backup: String? = nil,
                policy: GroupPolicyArgs = GroupPolicyArgs()) {
        self.address = address
        self.primary = primary
        self.backup = backup
        self.policy = policy
    }

    public static let names = ["address", "primary", "backup"] + GroupPolicyArgs.names

    public init(args: ControlArgumentReader) throws(ControlError) {
        address = try args.optionalString("address")
        primary = try args.optionalString("primary")
        backup = try args.optionalString("backup")
        policy = try GroupPolicyArgs(args: args)
    }

    public var json: [String: JSONValue] {
        var result: [String: JSONValue] = policy.json
        if let address { result["address"] = .string(address) }
        if let primary { result["primary"] = .string(primary) }
        if let backup { result["backup"] = .string(backup) }
        return result
    }
}

/// `group.update`: change a group's apps, optionally only if its version is `ifVersion`.
public struct GroupUpdateArgs: ControlArgs {
    public var address: String
    public var primary: ControlFieldChange<String>
    public var backup: ControlFieldChange<String>
    /// When set, the update is refused with `conflict` unless the group's version equals it.
    public var ifVersion: UInt64?
    /// Policy fields to change; unset ones keep their value.
    public var policy: GroupPolicyArgs

    public init(
        address: String, primary: ControlFieldChange<String> = .keep, backup: ControlFieldChange<String> = .keep,
        ifVersion: UInt64? = nil, policy: GroupPolicyArgs = GroupPolicyArgs()
    ) {
        self.address = address
        self.primary = primary
        self.backup = backup
        self.ifVersion = ifVersion
        self.policy = policy
    }

    public static let names = ["address", "primary", "backup", "if_version"] + GroupPolicyArgs.names

    public init(args: ControlArgumentReader) throws(ControlError) {
        address = try args.requiredString("address")
        primary = try args.stringUpdate("primary")
        backup = try args.stringUpdate("backup")
        ifVersion = try args.optionalUInt64("if_version")
        policy = try GroupPolicyArgs(args: args)
    }

    public var json: [String: JSONValue] {
        var result: [String: JSONValue] = policy.json
        result["address"] = .string(address)
        result["primary"] = primary.json(JSONValue.string)
        result["backup"] = backup.json(JSONValue.string)
        if let ifVersion { result["if_version"] = JSONValue(ifVersion) }
        return result
    }
}

/// `group.switch`: schedule the group to make `to` active after `delaySeconds`.
public struct GroupSwitchArgs: ControlArgs {
    public var address: String
    public var to: ControlRole
    /// nil: the daemon's configured switch delay. The model checks the range (0 ... 7 days).
    public var delaySeconds: Double?
    /// Free text recorded with the pending switch (who or what asked).
    public var requestedBy: String?

    public init(address: String, to: ControlRole, delaySeconds: Double? = nil, requestedBy: String? = nil) {
        self.address = address
        self.to = to
        self.delaySeconds = delaySeconds
        self.requestedBy = requestedBy
    }

    public static let names = ["address", "to", "delay_seconds", "requested_by"]

    public init(args: ControlArgumentReader) throws(ControlError) {
        address = try args.requiredString("address")
        to = try args.requiredRole("to")
        delaySeconds = try args.optionalNumber("delay_seconds")
        requestedBy = try args.optionalString("requested_by")
    }

    public var json: [String: JSONValue] {
        var result: [String: JSONValue] = ["address": .string(address), "to": .string(to.rawValue)]
        if let delaySeconds { result["delay_seconds"] = .number(delaySeconds) }
        if let requestedBy { result["requested_by"] = .string(requestedBy) }
        return result
    }
}

/// `group.cancel`, `group.delete`, `group.get`: one group by address.
public struct GroupAddressArgs: ControlArgs {
    public var address: String

    public init(address: String) {
        self.address = address
    }

    public static let names = ["address"]

    public init(args: ControlArgumentReader) throws(ControlError) {
        address = try args.requiredString("address")
    }

    public var json: [String: JSONValue] { ["address": .string(address)] }
}

/// Operations without arguments: any argument is an error.
public struct NoArgs: ControlArgs {
    public init() {}

    public static let names: [String] = []

    public init(args: ControlArgumentReader) throws(ControlError) {}

    public var json: [String: JSONValue] { [:] }
}

/// The health policy fields of `group.create` and `group.update`; each may be absent (default, or keep).
public struct GroupPolicyArgs: Sendable, Hashable {
    public var autoFailover: Bool?
    /// `"manual"` or `"auto"`.
    public var failback: String?
    public var failbackAfterSeconds: UInt64?
    public var minSwitchIntervalSeconds: UInt64?

    public init(autoFailover: Bool? = nil, failback: String? = nil, failbackAfterSeconds: UInt64? = nil,
                minSwitchIntervalSeconds: UInt64? = nil) {
        self.autoFailover = autoFailover
        self.failback = failback
        self.failbackAfterSeconds = failbackAfterSeconds
        self.minSwitchIntervalSeconds = minSwitchIntervalSeconds
    }

    public static let names = ["auto_failover", "failback", "failback_after_seconds", "min_switch_interval_seconds"]

    /// True when no field is set.
    public var isEmpty: Bool {
        autoFailover == nil && failback == nil && failbackAfterSeconds == nil && minSwitchIntervalSeconds == nil
    }

    public init(args: ControlArgumentReader) throws(ControlError) {
        autoFailover = try args.optionalBool("auto_failover")
        failback = try args.optionalString("failback")
        if let failback, failback != "manual", failback != "auto" {
            throw .badRequest("\(args.operation.name): failback must be \"manual\" or \"auto\", got \"\(failback)\"")
        }
        failbackAfterSeconds = try args.optionalUInt64("failback_after_seconds")
        minSwitchIntervalSeconds = try args.optionalUInt64("min_switch_interval_seconds")
    }

    public var json: [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        if let autoFailover { result["auto_failover"] = .bool(autoFailover) }
        if let failback { result["failback"] = .string(failback) }
        if let failbackAfterSeconds { result["failback_after_seconds"] = JSONValue(failbackAfterSeconds) }
        if let minSwitchIntervalSeconds { result["min_switch_interval_seconds"] = JSONValue(minSwitchIntervalSeconds) }
        return result
    }
}

/// `app.report_health`: an external checker's verdict on an app, fresh for `ttlSeconds`.
public struct ReportHealthArgs: ControlArgs {
    public var app: String
    /// The checker's name: 1-64 of `A-Z a-z 0-9 . _ : -`; `local` is the daemon's own.
    public var checker: String
    /// `"up"` or `"down"`.
    public var state: String
    public var ttlSeconds: UInt64?

    public init(app: String, checker: String, state: String, ttlSeconds: UInt64? = nil) {
        self.app = app
        self.checker = checker
        self.state = state
        self.ttlSeconds = ttlSeconds
    }

    public static let names = ["app", "checker", "state", "ttl_seconds"]

    public init(args: ControlArgumentReader) throws(ControlError) {
        app = try args.requiredString("app")
        checker = try args.requiredString("checker")
        state = try args.requiredString("state")
        guard state == "up" || state == "down" else {
            throw .badRequest("app.report_health: state must be \"up\" or \"down\", got \"\(state)\"")
        }
        ttlSeconds = try args.optionalUInt64("ttl_seconds")
    }

    public var json: [String: JSONValue] {
        var result: [String: JSONValue] = ["app": .string(app), "checker": .string(checker), "state": .string(state)]
        if let ttlSeconds { result["ttl_seconds"] = JSONValue(ttlSeconds) }
        return result
    }
}
