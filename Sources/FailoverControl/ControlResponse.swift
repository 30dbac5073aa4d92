/// One response line: `{"id": 7, "ok": true, "result": {...}}` or
/// `{"id": 7, "ok": false, "error": {"code": "not_found", "message": "..."}}`.
public enum ControlResponse: Sendable, Hashable {
    case success(id: JSONValue, result: JSONValue)
    case failure(id: JSONValue, error: ControlError)

    /// The echoed request id.
    public var id: JSONValue {
        switch self {
        case .success(let id, _), .failure(let id, _): id
        }
    }

    public var json: JSONValue {
        switch self {
        case .success(let id, let result):
            .object(["id": id, "ok": true, "result": result])
        case .failure(let id, let error):
            .object(["id": id, "ok": false, "error": error.json])
        }
    }

    /// The encoded line, `\n` included: the same bytes as `json`'s encoding, written without building it.
    public var line: [UInt8] {
        switch self {
        case .success(let id, let result):
            var encoded: [UInt8] = []
            result.write(into: &encoded)
            return Self.successLine(id: id, encodedResult: encoded)
        case .failure(let id, let error):
            var output: [UInt8] = []
            output.reserveCapacity(64 + error.message.utf8.count)
            output.append(contentsOf: #"{"error":{"code":"#.utf8)
            JSONValue.writeString(error.code.rawValue, into: &output)
            output.append(contentsOf: #","message":"#.utf8)
            JSONValue.writeString(error.message, into: &output)
            output.append(contentsOf: #"},"id":"#.utf8)
            id.write(into: &output)
            output.append(contentsOf: #","ok":false}"#.utf8)
            output.append(UInt8(ascii: "\n"))
            return output
        }
    }

    /// The success line (`\n` included) for a result already encoded as one JSON value.
    public static func successLine(id: JSONValue, encodedResult: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(encodedResult.count + 40)
        output.append(contentsOf: #"{"id":"#.utf8)
        id.write(into: &output)
        output.append(contentsOf: #","ok":true,"result":"#.utf8)
        output.append(contentsOf: encodedResult)
        output.append(contentsOf: "}\n".utf8)
        return output
    }

    /// The result, or the error thrown.
    public func get() throws(ControlError) -> JSONValue {
        switch self {
        case .success(_, let result): return result
        case .failure(_, let error): throw error
        }
    }

    /// Reads a response object; nil when `json` lacks a boolean `ok` or a readable `error` on failure.
    public init?(json: JSONValue) {
        guard let ok = json["ok"]?.boolValue else { return nil }
        let id = json["id"] ?? .null
        if ok {
            self = .success(id: id, result: json["result"] ?? .null)
        } else {
            guard let errorJSON = json["error"], let error = ControlError(json: errorJSON) else { return nil }
            self = .failure(id: id, error: error)
        }
    }
}

/// A line received by a client: a response to a request, or an event on a watching connection.
public enum ControlMessage: Sendable, Hashable {
    case response(ControlResponse)
    case event(ControlEvent)

    /// Classifies one line from the daemon; nil when it is neither a response nor an event.
    public init?<Bytes: Collection<UInt8>>(line: Bytes) {
        guard let json = try? JSONValue.parse(line) else { return nil }
        if json["event"] != nil {
            guard let event = ControlEvent(json: json) else { return nil }
            self = .event(event)
        } else {
            guard let response = ControlResponse(json: json) else { return nil }
            self = .response(response)
        }
    }
}
