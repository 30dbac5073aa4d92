#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address: the one address type of failoverd, for web-head
/// records, DNS clients, access prefixes and listen addresses.
///
/// Held as two big-endian halves, so the query path copies, hashes and masks
/// it without allocating. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`)
/// stays what it was given as; `unmappingIPv4()` turns it into the IPv4
/// address it carries, which is how peers are taken (a dual-stack socket
/// such as systemd's `[::]:53` reports IPv4 clients that way). Ordered IPv4
/// first, then by bytes. Codable as its presentation text.
public struct IPAddress: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// IPv4: the address in the low 32 bits. IPv6: the first 8 bytes, big-endian.
    public private(set) var high: UInt64
    /// IPv6: the last 8 bytes, big-endian. IPv4: 0.
    public private(set) var low: UInt64
    public let isIPv6: Bool

    private init(high: UInt64, low: UInt64, isIPv6: Bool) {
        self.high = high
        self.low = low
        self.isIPv6 = isIPv6
    }

    public init(ipv4 bytes: (UInt8, UInt8, UInt8, UInt8)) {
        self.init(high: UInt64(bytes.0) << 24 | UInt64(bytes.1) << 16 | UInt64(bytes.2) << 8 | UInt64(bytes.3),
                  low: 0, isIPv6: false)
    }

    /// An IPv6 address from its two big-endian halves.
    public init(ipv6High high: UInt64, low: UInt64) {
        self.init(high: high, low: low, isIPv6: true)
    }

    /// An address from 4 (IPv4) or 16 (IPv6) network-order bytes; nil for any other count.
    public init?<Bytes: Collection<UInt8>>(bytes: Bytes) {
        switch bytes.count {
        case 4:
            self.init(high: bytes.reduce(0) { $0 << 8 | UInt64($1) }, low: 0, isIPv6: false)
        case 16:
            var high: UInt64 = 0
            var low: UInt64 = 0
            for (index, byte) in bytes.enumerated() {
                if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
            }
            self.init(ipv6High: high, low: low)
        default:
            return nil
        }
    }

    /// Parses a dotted quad or IPv6 text (`inet_pton`'s forms, no zone index); nil otherwise.
    public init?(_ text: some StringProtocol) {
        // Room for an in6_addr; inet_pton writes 4 or 16 bytes.
        var buffer = [UInt8](repeating: 0, count: 16)
        let string = String(text)
        if string.utf8.contains(UInt8(ascii: ":")) {
            guard inet_pton(AF_INET6, string, &buffer) == 1 else { return nil }
            self.init(bytes: buffer)
        } else {
            guard inet_pton(AF_INET, string, &buffer) == 1 else { return nil }
            self.init(bytes: buffer.prefix(4))
        }
    }

    /// Bits 32-63 of an IPv4-mapped address, `::ffff:0:0/96` (RFC 4291 2.5.5.2).
    static let mappedMarker: UInt64 = 0xFFFF

    /// The IPv4 address an IPv4-mapped IPv6 address carries; any other address unchanged.
    @inline(__always)
    public func unmappingIPv4() -> IPAddress {
        guard isIPv6, high == 0, low >> 32 == Self.mappedMarker else { return self }
        return IPAddress(high: low & 0xFFFF_FFFF, low: 0, isIPv6: false)
    }

    /// 4 for IPv4, 16 for IPv6.
    public var byteCount: Int { isIPv6 ? 16 : 4 }

    /// The network-order bytes, 4 or 16.
    public var bytes: [UInt8] {
        if isIPv6 {
            return (0..<16).map { index in
                UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> (56 - 8 * UInt64(index % 8)))
            }
        }
        return (0..<4).map { UInt8(truncatingIfNeeded: high >> (24 - 8 * UInt64($0))) }
    }

    /// Writes the network-order bytes at `offset`; returns the count.
    @inline(__always)
    public func write(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        if isIPv6 {
            for index in 0..<8 {
                buffer[offset + index] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(index)))
                buffer[offset + 8 + index] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(index)))
            }
            return 16
        }
        for index in 0..<4 { buffer[offset + index] = UInt8(truncatingIfNeeded: high >> (24 - 8 * UInt64(index))) }
        return 4
    }

    /// The address with only its first `bits` bits kept.
    @inline(__always)
    public func prefix(bits: Int) -> IPAddress {
        prefix(ipv4Bits: bits, ipv6Bits: bits)
    }

    /// The address with only its first `ipv4Bits` or `ipv6Bits` bits kept,
    /// by family: the key of per-prefix limits.
    @inline(__always)
    public func prefix(ipv4Bits: Int, ipv6Bits: Int) -> IPAddress {
        var result = self
        if isIPv6 {
            let bits = max(0, min(128, ipv6Bits))
            result.high = bits >= 64 ? high : (bits == 0 ? 0 : high & (UInt64.max << UInt64(64 - bits)))
            result.low = bits <= 64 ? 0 : (bits == 128 ? low : low & (UInt64.max << UInt64(128 - bits)))
        } else {
            let bits = max(0, min(32, ipv4Bits))
            result.high = bits == 0 ? 0 : high & (0xFFFF_FFFF << UInt64(32 - bits)) & 0xFFFF_FFFF
        }
        return result
    }

    /// True for 127.0.0.0/8 and ::1 (and 127/8 mapped into IPv6): reachable from this host only.
    public var isLoopback: Bool {
        let address = unmappingIPv4()
        return address.isIPv6 ? address.high == 0 && address.low == 1 : address.high >> 24 == 127
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.isIPv6 != rhs.isIPv6 { return rhs.isIPv6 }
        return (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let address = IPAddress(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "'\(text)' is not an IPv4 or IPv6 address"))
        }
        self = address
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Presentation form: the dotted quad, or RFC 5952 IPv6 text (as `inet_ntop` writes both).
    public var description: String {
        guard isIPv6 else { return Self.dottedQuad(UInt32(truncatingIfNeeded: high)) }
        let words = (0..<8).map { Int(truncatingIfNeeded: ($0 < 4 ? high : low) >> (48 - 16 * UInt64($0 % 4)) & 0xFFFF) }
        // inet_ntop writes ::ffff:a.b.c.d (and ::a.b.c.d, the deprecated compatible form) with a dotted tail.
        if high == 0, low >> 32 == Self.mappedMarker || (low >> 32 == 0 && low > 0xFFFF) {
            return (low >> 32 == 0 ? "::" : "::ffff:") + Self.dottedQuad(UInt32(truncatingIfNeeded: low))
        }
        // The longest run of two or more zero words becomes "::" (the first such run on a tie).
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            guard words[index] == 0 else { index += 1; continue }
            var end = index
            while end < 8, words[end] == 0 { end += 1 }
            if end - index > bestLength { (bestStart, bestLength) = (index, end - index) }
            index = end
        }
        let hex = { (range: Range<Int>) in range.map { String(words[$0], radix: 16) }.joined(separator: ":") }
        guard bestStart >= 0 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    /// The dotted quad, written directly (glibc's inet_ntop formats it with
    /// sprintf, which dominated loading a million addresses).
    private static func dottedQuad(_ value: UInt32) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(15)
        for index in 0..<4 {
            let byte = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(index)))
            if index > 0 { text.append(UInt8(ascii: ".")) }
            if byte >= 100 { text.append(UInt8(ascii: "0") + byte / 100) }
            if byte >= 10 { text.append(UInt8(ascii: "0") + byte / 10 % 10) }
            text.append(UInt8(ascii: "0") + byte % 10)
        }
        return String(decoding: text, as: UTF8.self)
    }
}
