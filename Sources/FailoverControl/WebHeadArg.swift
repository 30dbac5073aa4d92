/// A web head as written on the wire: `{"hostname": "lb.example.net"}` or `{"addresses": ["192.0.2.1"]}`.
///
/// The strings are passed on as sent; the model validates and normalises them (hostname syntax, inet_pton,
/// 1...16 addresses, duplicates removed).
public enum WebHeadArg: Sendable, Hashable {
    case hostname(String)
    case addresses([String])

    public var json: JSONValue {
        switch self {
        case .hostname(let name): .object(["hostname": .string(name)])
        case .addresses(let list): .object(["addresses": .array(list.map(JSONValue.string))])
        }
    }

    /// Reads a web head object; nil when `json` is not one of the two shapes.
    public init?(json: JSONValue) {
        if let name = json["hostname"]?.stringValue {
            self = .hostname(name)
        } else if let list = json["addresses"]?.arrayValue {
            self = .addresses(list.compactMap(\.stringValue))
        } else {
            return nil
        }
    }
}
