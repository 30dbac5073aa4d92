import DNSWire

/// The RDATA of an NSEC record (RFC 4034 4): the next owner name of the
/// chain and the types present at the owner, as a type bit map.
public struct NSECRecord: Hashable, Sendable {
    public var nextName: DomainName
    public var types: Set<RecordType>

    public init(nextName: DomainName, types: Set<RecordType>) {
        self.nextName = nextName
        self.types = types
    }

    /// The next name (lowercased, RFC 6840 5.1), then the bit map.
    public var rdata: [UInt8] { nextName.lowercased.wire + Self.typeBitMap(types) }

    /// The Type Bit Maps field (RFC 4034 4.1.2): for each window of 256
    /// types that holds one, the window number, the bytes up to the last
    /// type set, and the bits, most significant first.
    public static func typeBitMap(_ types: Set<RecordType>) -> [UInt8] {
        var windows: [UInt8: [UInt8]] = [:]
        for type in types {
            let window = UInt8(type.rawValue >> 8)
            let low = Int(type.rawValue & 0xFF)
            var bits = windows[window, default: []]
            if bits.count <= low / 8 { bits += [UInt8](repeating: 0, count: low / 8 + 1 - bits.count) }
            bits[low / 8] |= 0x80 >> UInt8(low % 8)
            windows[window] = bits
        }
        var map: [UInt8] = []
        for window in windows.keys.sorted() {
            let bits = windows[window]!
            map += [window, UInt8(bits.count)] + bits
        }
        return map
    }
}
