/// The fixed fields at the end of SOA RDATA (RFC 1035 3.3.13): after the two
/// names come serial, refresh, retry, expire and minimum, 32 bits each.
public enum SOAFields {
    /// Bytes from the start of the serial to the end of the RDATA.
    public static let serialFromEnd = 20
    /// Bytes from the start of the minimum to the end of the RDATA.
    public static let minimumFromEnd = 4

    /// The serial of SOA RDATA at least ``serialFromEnd`` bytes long.
    public static func serial(of rdata: [UInt8]) -> UInt32 {
        loadUInt32(rdata, at: rdata.count - serialFromEnd)
    }

    /// The minimum (the negative-answer TTL bound) of SOA RDATA.
    public static func minimum(of rdata: [UInt8]) -> UInt32 {
        loadUInt32(rdata, at: rdata.count - minimumFromEnd)
    }

    /// Replaces the serial of SOA RDATA at least ``serialFromEnd`` bytes long.
    public static func setSerial(_ serial: UInt32, in rdata: inout [UInt8]) {
        let at = rdata.count - serialFromEnd
        rdata[at] = UInt8(truncatingIfNeeded: serial >> 24)
        rdata[at + 1] = UInt8(truncatingIfNeeded: serial >> 16)
        rdata[at + 2] = UInt8(truncatingIfNeeded: serial >> 8)
        rdata[at + 3] = UInt8(truncatingIfNeeded: serial)
    }

    private static func loadUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }
}
