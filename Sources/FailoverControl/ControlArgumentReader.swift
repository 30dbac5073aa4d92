/// A reader over a request's `args` that checks presence and JSON types and rejects unknown names.
///
/// Every failure is a `bad_request` naming the operation, the field and the expected type, so a client author
/// sees at once what to fix. Value checks (hostname syntax, address form, ranges) belong to the model.
public struct ControlArgumentReader: Sendable {
    public let operation: ControlOperation
    private let values: [String: JSONValue]

    /// Fails on the first argument whose name is not in `allowed` (so a typo is reported, not ignored).
    public init(
        _ values: [String: JSONValue], for operation: ControlOperation, allowed: [String]
    )
        throws(ControlError)
    {
        self.operation = operation
        self.values = values
        let unknown = values.keys.filter { !allowed.contains($0) }.sorted()
        if let first = unknown.first {
            let expected = allowed.isEmpty ? "it takes no arguments" : "expected: \(allowed.joined(separator: ", "))"
            throw .badRequest("\(operation.name): unknown argument \"\(first)\"; \(expected)")
        }
    }

    /// The raw value of `key`, nil when absent.
    public func raw(_ key: String) -> JSONValue? {
        values[key]
    }

    func missing(_ key: String, _ type: String) -> ControlError {
        .badRequest("\(operation.name): missing required argument \"\(key)\" (\(type))")
    }

    func wrongType(_ key: String, _ type: String, _ value: JSONValue) -> ControlError {
        .badRequest("\(operation.name): argument \"\(key)\" must be \(type), got \(value.typeName)")
    }

    /// A string that must be present and not null.
    public func requiredString(_ key: String) throws(ControlError) -> String {
        guard let value = values[key] else { throw missing(key, "string") }
        guard let string = value.stringValue else { throw wrongType(key, "a string", value) }
        return string
    }

    /// A string that may be absent or null (both read as nil).
    public func optionalString(_ key: String) throws(ControlError) -> String? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let string = value.stringValue else { throw wrongType(key, "a string or null", value) }
        return string
    }

    /// Absent keeps, null clears, a string sets.
    public func stringUpdate(_ key: String) throws(ControlError) -> ControlFieldChange<String> {
        guard let value = values[key] else { return .keep }
        switch value {
        case .null: return .clear
        case .string(let string): return .set(string)
        default: throw wrongType(key, "a string (set) or null (clear)", value)
        }
    }

    /// A non-negative integer that may be absent or null.
    public func optionalUInt64(_ key: String) throws(ControlError) -> UInt64? {
        guard let value = values[key], !value.isNull else { return nil }
        guard case .integer(let integer) = value, integer >= 0 else {
            throw wrongType(key, "a non-negative integer", value)
        }
        return UInt64(integer)
    }

    /// A finite number (integer or not) that may be absent or null.
    public func optionalNumber(_ key: String) throws(ControlError) -> Double? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let number = value.doubleValue, number.isFinite else { throw wrongType(key, "a number", value) }
        return number
    }

    /// A boolean that may be absent or null.
    public func optionalBool(_ key: String) throws(ControlError) -> Bool? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let flag = value.boolValue else { throw wrongType(key, "true or false", value) }
        return flag
    }

    /// A health check object that may be absent or null (both: no health check).
    public func optionalHealthCheck(_ key: String) throws(ControlError) -> HealthCheckArg? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let members = value.objectValue else { throw wrongType(key, "an object or null", value) }
        return try HealthCheckArg(members, key: key, context: operation.name)
    }

    /// A role name that must be present.
    public func requiredRole(_ key: String) throws(ControlError) -> ControlRole {
        guard let value = values[key] else { throw missing(key, "\"primary\" or \"backup\"") }
        guard let name = value.stringValue, let role = ControlRole(rawValue: name) else {
            if let name = value.stringValue {
                throw .badRequest(
                    "\(operation.name): argument \"\(key)\" must be \"primary\" or \"backup\", got \"\(name)\"")
            }
            throw wrongType(key, "\"primary\" or \"backup\"", value)
        }
        return role
    }

    /// A web head: must be present, either null or an object with exactly one of `hostname` / `addresses`.
    public func requiredWebHead(_ key: String) throws(ControlError) -> WebHeadArg? {
        guard let value = values[key] else {
            throw .badRequest(
                "\(operation.name): missing required argument \"\(key)\" ({\"hostname\": ...}, "
                    + "{\"addresses\": [...]} or null for no web head)")
        }
        if value.isNull { return nil }
        guard let members = value.objectValue else { throw wrongType(key, "an object or null", value) }
        let unknown = members.keys.filter { $0 != "hostname" && $0 != "addresses" }.sorted()
        if let first = unknown.first {
            throw .badRequest(
                "\(operation.name): \(key) has unknown field \"\(first)\"; expected \"hostname\" or \"addresses\"")
        }
        switch (members["hostname"], members["addresses"]) {
        case (.some(let hostname), nil):
            guard let string = hostname.stringValue else { throw wrongType("\(key).hostname", "a string", hostname) }
            return .hostname(string)
        case (nil, .some(let addresses)):
            guard let list = addresses.arrayValue else {
                throw wrongType("\(key).addresses", "an array of strings", addresses)
            }
            var strings: [String] = []
            for (index, element) in list.enumerated() {
                guard let string = element.stringValue else {
                    throw wrongType("\(key).addresses[\(index)]", "a string", element)
                }
                strings.append(string)
            }
            return .addresses(strings)
        case (.some, .some):
            throw .badRequest("\(operation.name): \(key) must have either \"hostname\" or \"addresses\", not both")
        case (nil, nil):
            throw .badRequest("\(operation.name): \(key) must have \"hostname\" or \"addresses\" (or be null)")
        }
    }
}
