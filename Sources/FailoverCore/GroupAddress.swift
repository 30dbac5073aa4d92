/// A group's address: nine decimal digits shown as `NNN-NNN-NNN` (e.g. `004-262-781`), served as
/// `NNN-NNN-NNN.<zone>`.
public struct GroupAddress: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Nine digits.
    public static let maxValue: UInt32 = 999_999_999
    /// Length of the text form: 3 digits, '-', 3 digits, '-', 3 digits.
    static let textLength = 11

    public let value: UInt32

    /// Wraps a number in `0...999_999_999`.
    public init?(value: UInt32) {
        guard value <= Self.maxValue else { return nil }
        self.value = value
    }

    /// Parses exactly `NNN-NNN-NNN`; throws `bad_request` otherwise.
    public init(_ text: String) throws(FailoverError) {
        guard let parsed = Self.parse(text.utf8) else {
            throw .badRequest("group address \(quoted(text)) is not of the form NNN-NNN-NNN, like 414-262-781")
        }
        self = parsed
    }

    /// Parses exactly `NNN-NNN-NNN` from bytes (e.g. a DNS label); nil otherwise. Case and zone are the caller's.
    public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> GroupAddress? {
        guard bytes.count == textLength else { return nil }
        var value: UInt32 = 0
        for (index, byte) in bytes.enumerated() {
            if index == 3 || index == 7 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt32(byte - UInt8(ascii: "0"))
        }
        return GroupAddress(value: value)
    }

    /// The `NNN-NNN-NNN` form, zero padded.
    public var description: String {
        var digits = Array(repeating: UInt8(ascii: "0"), count: Self.textLength)
        var rest = value
        for index in stride(from: Self.textLength - 1, through: 0, by: -1) {
            if index == 3 || index == 7 {
                digits[index] = UInt8(ascii: "-")
                continue
            }
            digits[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        return String(decoding: digits, as: UTF8.self)
    }

    public static func < (lhs: GroupAddress, rhs: GroupAddress) -> Bool { lhs.value < rhs.value }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
