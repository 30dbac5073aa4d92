/// A client's IP address, as rate limiting, cookies, access checks and logs
/// take it: 4 bytes for IPv4, 16 for IPv6.
///
/// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, how a dual-stack socket
/// such as systemd's `[::]:53` with `BindIPv6Only=both` reports an IPv4 peer)
/// is always taken as the IPv4 address it carries, so IPv4 clients get IPv4
/// prefixes and exemptions whichever socket they came through.
public struct ClientAddress: Sendable, Equatable, Hashable {
    /// IPv4: the address in the low 32 bits. IPv6: the first 8 bytes, big-endian.
    public var high: UInt64
    /// IPv6: the last 8 bytes, big-endian. IPv4: 0.
    public var low: UInt64
    public var isIPv6: Bool

    public init(ipv4 bytes: (UInt8, UInt8, UInt8, UInt8)) {
        high = UInt64(bytes.0) << 24 | UInt64(bytes.1) << 16 | UInt64(bytes.2) << 8 | UInt64(bytes.3)
        low = 0
        isIPv6 = false
    }

    /// An IPv6 address from its two big-endian halves (IPv4-mapped ones become IPv4).
    public init(high: UInt64, low: UInt64) {
        if high == 0, low >> 32 == Self.mappedMarker {
            self.high = low & 0xFFFF_FFFF
            self.low = 0
            isIPv6 = false
        } else {
            self.high = high
            self.low = low
            isIPv6 = true
        }
    }

    /// An IPv6 address from 16 bytes (IPv4-mapped ones become IPv4).
    public init(ipv6 bytes: [UInt8]) {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes")
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 { high = high << 8 | UInt64(bytes[index]) }
        for index in 8..<16 { low = low << 8 | UInt64(bytes[index]) }
        self.init(high: high, low: low)
    }

    /// Bits 32-63 of an IPv4-mapped address, `::ffff:0:0/96` (RFC 4291 2.5.5.2).
    static let mappedMarker: UInt64 = 0xFFFF

    /// The address bytes, 4 or 16.
    public var bytes: [UInt8] {
        if isIPv6 {
            return (0..<16).map { index in
                UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> (56 - 8 * UInt64(index % 8)))
            }
        }
        return (0..<4).map { UInt8(truncatingIfNeeded: high >> (24 - 8 * UInt64($0))) }
    }

    /// The address with only its first `bits` bits kept (`ipv4Bits` or
    /// `ipv6Bits` by family): the key of per-prefix limits.
    public func prefix(ipv4Bits: Int, ipv6Bits: Int) -> ClientAddress {
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

    /// Writes the address bytes at `offset`; returns the count.
    @inline(__always)
    func write(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
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
}

extension ClientAddress: CustomStringConvertible {
    /// Presentation form: dotted quad, or RFC 5952 IPv6 text.
    public var description: String {
        let bytes = self.bytes
        guard isIPv6 else { return bytes.map(String.init).joined(separator: ".") }
        let words = (0..<8).map { Int(bytes[2 * $0]) << 8 | Int(bytes[2 * $0 + 1]) }
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
}
