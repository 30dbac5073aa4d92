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

    public init(app: String, name: String, webHead: WebHeadArg?) {
        self.app = app
        self.name = name
        self.webHead = webHead
    }

    public static let names = ["app", "name", "web_head"]

    public init(args: ControlArgumentReader) throws(ControlError) {
        app = try args.requiredString("app")
        name = try args.requiredString("name")
        webHead = try args.requiredWebHead("web_head")
    }

    public var json: [String: JSONValue] {
        ["app": .string(app), "name": .string(name), "web_head": webHead?.json ?? .null]
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

    public init(address: String? = nil, primary: String? = nil, backup: String? = nil) {
        self.address = address
        self.primary = primary
        self.backup = backup
    }

    public static let names = ["address", "primary", "backup"]

    public init(args: ControlArgumentReader) throws(ControlError) {
        address = try args.optionalString("address")
        primary = try args.optionalString("primary")
        backup = try args.optionalString("backup")
    }

    public var json: [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        if let address { result["address"] = .string(address) }
        if let primary { result["primary"] = .string(primary) }
        if let backup { result["backup"] = .string(backup) }
        return result
    }
}

/// `group.update`: change a group's apps, optionally only if its version is `ifVersion`.
public struct GroupUpdateArgs: ControlArgs {
    public var address: String
    public var primary: FieldUpdate<String>
    public var backup: FieldUpdate<String>
    /// When set, the update is refused with `conflict` unless the group's version equals it.
    public var ifVersion: UInt64?

    public init(
        address: String, primary: FieldUpdate<String> = .keep, backup: FieldUpdate<String> = .keep,
        ifVersion: UInt64? = nil
    ) {
        self.address = address
        self.primary = primary
        self.backup = backup
        self.ifVersion = ifVersion
    }

    public static let names = ["address", "primary", "backup", "if_version"]

    public init(args: ControlArgumentReader) throws(ControlError) {
        address = try args.requiredString("address")
        primary = try args.stringUpdate("primary")
        backup = try args.stringUpdate("backup")
        ifVersion = try args.optionalUInt64("if_version")
    }

    public var json: [String: JSONValue] {
        var result: [String: JSONValue] = ["address": .string(address)]
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
