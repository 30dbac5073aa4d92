/// The platform's identifier of an app: 1 to 128 characters of `[A-Za-z0-9._:-]`.
public struct AppID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Longest accepted id; generous for UUIDs and prefixed ids, short enough to log.
    public static let maxLength = 128

    public let rawValue: String

    /// Validates `string`; throws `bad_request` naming the problem.
    public init(_ string: String) throws(FailoverError) {
        let utf8 = string.utf8
        guard !utf8.isEmpty else {
            throw .badRequest("app id is empty; use 1 to \(Self.maxLength) characters of A-Z a-z 0-9 . _ : -")
        }
        guard utf8.count <= Self.maxLength else {
            throw .badRequest("app id is \(utf8.count) characters long; the limit is \(Self.maxLength)")
        }
        for byte in utf8 where !Self.isAllowed(byte) {
            throw .badRequest(
                "app id \(quoted(string)) contains \(quoted(String(decoding: [byte], as: UTF8.self))); "
                    + "use only A-Z a-z 0-9 . _ : -"
            )
        }
        self.rawValue = string
    }

    /// Wraps an id that was validated when it was stored.
    init(unchecked string: String) { rawValue = string }

    static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"),
            UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    public var description: String { rawValue }

    public static func < (lhs: AppID, rhs: AppID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let string = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(string)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Quotes user input for an error message, cut short so a huge value cannot flood a log line.
func quoted(_ string: String, limit: Int = 80) -> String {
    let cut = string.count > limit ? String(string.prefix(limit)) + "..." : string
    return "\"" + cut.unicodeScalars.map { $0.properties.generalCategory == .control
        ? $0.escaped(asASCII: true) : String($0) }.joined() + "\""
}
