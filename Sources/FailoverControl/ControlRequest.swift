/// One request line: `{"id": 7, "op": "group.switch", "args": {...}}`.
///
/// `id` is any JSON number or string chosen by the client (absent reads as null) and is echoed in the
/// response; `args` is optional. Decoding happens in two steps so the daemon can always echo the id:
///
/// ```swift
/// let response: ControlResponse
/// do {
///     let request = try ControlRequest(line: bytes)      // throws ControlRequest.Rejection
///     do {
///         let command = try request.command()             // throws ControlError (bad_request)
///         response = .success(id: request.id, result: try handle(command))
///     } catch let error as ControlError {
///         response = .failure(id: request.id, error: error)
///     }
/// } catch let rejection as ControlRequest.Rejection {
///     response = rejection.response
/// }
/// write(response.line)
/// ```
///
/// Bytes from the socket go through a ``ControlLineFramer`` built with ``maximumLineLength``; its
/// ``ControlLineFramer/Frame/tooLarge`` is answered with ``Rejection/lineTooLarge``.
public struct ControlRequest: Sendable, Hashable {
    /// Longest request line accepted, newline included: 64 KiB. The largest valid request (an app.put with
    /// 16 addresses and a 200-character name) is well under 4 KiB; the bound caps what one connection can make
    /// the daemon buffer.
    public static let maximumLineLength = 64 * 1024

    /// The top-level keys a request may carry.
    public static let topLevelKeys = ["id", "op", "args"]

    public var id: JSONValue
    public var operation: ControlOperation
    public var args: [String: JSONValue]

    public init(id: JSONValue, operation: ControlOperation, args: [String: JSONValue] = [:]) {
        self.id = id
        self.operation = operation
        self.args = args
    }

    /// A request for `command` with the given id.
    public init(id: JSONValue, command: ControlCommand) {
        self.init(id: id, operation: command.operation, args: command.args)
    }

    /// A request line that cannot be read, with the id to echo in the failure response (null when unreadable).
    public struct Rejection: Error, Sendable, Hashable {
        public var id: JSONValue
        public var error: ControlError

        public init(id: JSONValue, error: ControlError) {
            self.id = id
            self.error = error
        }

        /// The failure response to send back.
        public var response: ControlResponse { .failure(id: id, error: error) }

        /// What to answer when ``ControlLineFramer`` reports ``ControlLineFramer/Frame/tooLarge``.
        public static let lineTooLarge = Rejection(
            id: .null,
            error: .tooLarge("request line exceeds the limit of \(ControlRequest.maximumLineLength) bytes"))
    }

    /// Decodes one request line (a trailing `\n` or `\r\n` is allowed).
    ///
    /// Failures: longer than ``maximumLineLength`` → `too_large`; not JSON, not an object, an unknown top-level
    /// key, an id that is not a number or string, an `op` or `args` of the wrong type → `bad_request`; `op` absent
    /// or unknown → `unknown_op`. The id is echoed whenever it could be read.
    public init<Bytes: Collection<UInt8>>(line: Bytes) throws(Rejection) {
        var bytes = Array(line)
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard bytes.count < Self.maximumLineLength else {
            throw Rejection(
                id: .null,
                error: .tooLarge(
                    "request line of \(bytes.count + 1) bytes exceeds the limit of \(Self.maximumLineLength)"))
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            throw Rejection(id: .null, error: .badRequest("request is not valid JSON: \(error)"))
        }
        guard let members = value.objectValue else {
            throw Rejection(id: .null, error: .badRequest("request must be a JSON object, got \(value.typeName)"))
        }
        let id = members["id"] ?? .null
        switch id {
        case .null, .integer, .number, .string: break
        default:
            throw Rejection(id: .null, error: .badRequest("\"id\" must be a number or a string, got \(id.typeName)"))
        }
        if let unknown = members.keys.filter({ !Self.topLevelKeys.contains($0) }).sorted().first {
            throw Rejection(id: id, error: .badRequest("unknown request field \"\(unknown)\"; expected id, op, args"))
        }
        guard let opValue = members["op"] else {
            throw Rejection(id: id, error: .unknownOp("request has no \"op\""))
        }
        guard let opName = opValue.stringValue else {
            throw Rejection(id: id, error: .badRequest("\"op\" must be a string, got \(opValue.typeName)"))
        }
        guard let operation = ControlOperation(rawValue: opName) else {
            throw Rejection(id: id, error: .unknownOp("unknown op \"\(opName)\""))
        }
        var args: [String: JSONValue] = [:]
        switch members["args"] {
        case nil, .null?: break
        case .object(let object)?: args = object
        case let other?:
            throw Rejection(id: id, error: .badRequest("\"args\" must be an object, got \(other.typeName)"))
        }
        self.init(id: id, operation: operation, args: args)
    }

    /// Decodes and type-checks the arguments for the operation.
    public func command() throws(ControlError) -> ControlCommand {
        try ControlCommand(operation: operation, args: args)
    }

    /// Decodes a line all the way to a command; any failure comes back as a rejection carrying the id.
    ///
    /// A well-formed line is read in one pass by ``RequestScanner``; any other goes through the full parser,
    /// which gives the same result or the error.
    public static func decodeCommand<Bytes: Collection<UInt8>>(
        line: Bytes
    ) throws(Rejection)
        -> (id: JSONValue, command: ControlCommand)
    {
        let fast = line.withContiguousStorageIfAvailable { bytes -> (id: JSONValue, command: ControlCommand)? in
            var end = bytes.count
            if end > 0, bytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
            if end > 0, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            guard end < maximumLineLength else { return nil }
            return RequestScanner.decode(UnsafeBufferPointer(rebasing: bytes[..<end]))
        }
        if let decoded = fast ?? nil { return decoded }
        let request = try ControlRequest(line: line)
        do {
            return (request.id, try request.command())
        } catch {
            throw Rejection(id: request.id, error: error)
        }
    }

    /// The request as a JSON object (`args` left out when empty).
    public var json: JSONValue {
        var members: [String: JSONValue] = ["id": id, "op": .string(operation.name)]
        if !args.isEmpty { members["args"] = .object(args) }
        return .object(members)
    }

    /// The encoded line, `\n` included.
    public var line: [UInt8] { json.line }
}
