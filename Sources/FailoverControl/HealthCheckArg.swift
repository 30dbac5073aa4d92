/// An app's `health_check` as sent in `app.put` and shown in results:
/// `{"type": "http", "port": 80, "path": "/health", "host": "shop.example.com", "expect": "200-399",
/// "interval_seconds": 10, "timeout_seconds": 2, "fall": 3, "rise": 2, "insecure": false}`.
///
/// Only `type` is required; absent members take the daemon's defaults. Types are checked here, values (ranges,
/// path and host syntax) by the model.
public struct HealthCheckArg: Sendable, Hashable {
    public var type: String
    public var port: UInt64?
    public var path: String?
    public var host: String?
    public var expect: String?
    public var intervalSeconds: UInt64?
    public var timeoutSeconds: UInt64?
    public var fall: UInt64?
    public var rise: UInt64?
    public var insecure: Bool?

    public static let names = [
        "type", "port", "path", "host", "expect", "interval_seconds", "timeout_seconds", "fall", "rise", "insecure",
    ]

    public init(
        type: String, port: UInt64? = nil, path: String? = nil, host: String? = nil, expect: String? = nil,
        intervalSeconds: UInt64? = nil, timeoutSeconds: UInt64? = nil, fall: UInt64? = nil, rise: UInt64? = nil,
        insecure: Bool? = nil
    ) {
        self.type = type
        self.port = port
        self.path = path
        self.host = host
        self.expect = expect
        self.intervalSeconds = intervalSeconds
        self.timeoutSeconds = timeoutSeconds
        self.fall = fall
        self.rise = rise
        self.insecure = insecure
    }

    /// Decodes the object `members` of argument `key`; `context` names the operation in errors.
    public init(_ members: [String: JSONValue], key: String, context: String) throws(ControlError) {
        if let unknown = members.keys.filter({ !Self.names.contains($0) }).sorted().first {
            throw .badRequest(
                "\(context): \(key) has unknown field \"\(unknown)\"; expected: \(Self.names.joined(separator: ", "))")
        }
        func wrong(_ field: String, _ type: String, _ value: JSONValue) -> ControlError {
            .badRequest("\(context): \(key).\(field) must be \(type), got \(value.typeName)")
        }
        func string(_ field: String) throws(ControlError) -> String? {
            guard let value = members[field], !value.isNull else { return nil }
            guard let text = value.stringValue else { throw wrong(field, "a string", value) }
            return text
        }
        func integer(_ field: String) throws(ControlError) -> UInt64? {
            guard let value = members[field], !value.isNull else { return nil }
            guard case .integer(let number) = value, number >= 0 else {
                throw wrong(field, "a non-negative integer", value)
            }
            return UInt64(number)
        }
        guard let type = try string("type") else {
            throw .badRequest("\(context): \(key).type is required (\"http\", \"https\" or \"tcp\")")
        }
        self.type = type
        port = try integer("port")
        path = try string("path")
        host = try string("host")
        expect = try string("expect")
        intervalSeconds = try integer("interval_seconds")
        timeoutSeconds = try integer("timeout_seconds")
        fall = try integer("fall")
        rise = try integer("rise")
        if let value = members["insecure"], !value.isNull {
            guard let flag = value.boolValue else { throw wrong("insecure", "true or false", value) }
            insecure = flag
        }
    }

    public init?(json: JSONValue) {
        guard let members = json.objectValue, let decoded = try? Self(members, key: "health_check", context: "result")
        else { return nil }
        self = decoded
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = ["type": .string(type)]
        if let port { members["port"] = JSONValue(port) }
        if let path { members["path"] = .string(path) }
        if let host { members["host"] = .string(host) }
        if let expect { members["expect"] = .string(expect) }
        if let intervalSeconds { members["interval_seconds"] = JSONValue(intervalSeconds) }
        if let timeoutSeconds { members["timeout_seconds"] = JSONValue(timeoutSeconds) }
        if let fall { members["fall"] = JSONValue(fall) }
        if let rise { members["rise"] = JSONValue(rise) }
        if let insecure { members["insecure"] = .bool(insecure) }
        return .object(members)
    }
}
