import Glibc

/// An IPv4 or IPv6 address, parsed with `inet_pton`.
///
/// Keeps the network-order bytes (4 for IPv4, 16 for IPv6), ready to copy into an A or AAAA record,
/// and the canonical presentation form from `inet_ntop` (so `2001:DB8:0::1` reads `2001:db8::1`).
/// Ordered IPv4 first, then by bytes.
public struct IPAddress: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public enum Family: Sendable, Hashable {
        case v4
        case v6
    }

    /// Network-order bytes: 4 for IPv4, 16 for IPv6.
    public let bytes: [UInt8]
    /// The canonical text form.
    public let presentation: String

    public var family: Family { bytes.count == 4 ? .v4 : .v6 }

    /// Parses an IPv4 dotted quad or an IPv6 address; throws `bad_request` otherwise.
    public init(_ string: String) throws(FailoverError) {
        guard let parsed = Self.parse(string) else {
            throw .badRequest("\(quoted(string)) is not an IPv4 or IPv6 address")
        }
        self = parsed
    }

    /// Builds an address from 4 or 16 network-order bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16, let text = Self.present(bytes) else { return nil }
        self.bytes = bytes
        self.presentation = text
    }

    private static func parse(_ string: String) -> IPAddress? {
        // Room for a sockaddr_in6 address; inet_pton writes 4 or 16 bytes.
        var buffer = [UInt8](repeating: 0, count: 16)
        if string.utf8.contains(UInt8(ascii: ":")) {
            guard inet_pton(AF_INET6, string, &buffer) == 1 else { return nil }
            return IPAddress(bytes: buffer)
        }
        guard inet_pton(AF_INET, string, &buffer) == 1 else { return nil }
        return IPAddress(bytes: Array(buffer.prefix(4)))
    }

    private static func present(_ bytes: [UInt8]) -> String? {
        if bytes.count == 4 { return presentIPv4(bytes) }
        // INET6_ADDRSTRLEN.
        var text = [CChar](repeating: 0, count: 46)
        guard inet_ntop(AF_INET6, bytes, &text, socklen_t(text.count)) != nil else { return nil }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The dotted quad, as inet_ntop writes it (glibc formats it with sprintf, which dominated
    /// loading a million addresses).
    private static func presentIPv4(_ bytes: [UInt8]) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(15)
        for (index, byte) in bytes.enumerated() {
            if index > 0 { text.append(UInt8(ascii: ".")) }
            if byte >= 100 { text.append(UInt8(ascii: "0") + byte / 100) }
            if byte >= 10 { text.append(UInt8(ascii: "0") + byte / 10 % 10) }
            text.append(UInt8(ascii: "0") + byte % 10)
        }
        return String(decoding: text, as: UTF8.self)
    }

    public var description: String { presentation }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.bytes.count != rhs.bytes.count { return lhs.bytes.count < rhs.bytes.count }
        return lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    public static func == (lhs: IPAddress, rhs: IPAddress) -> Bool { lhs.bytes == rhs.bytes }

    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }

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
        try container.encode(presentation)
    }
}
