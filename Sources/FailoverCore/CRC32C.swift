/// CRC-32C (Castagnoli), as used by iSCSI, ext4 and many journals; detects torn and flipped journal bytes.
///
/// Table-driven over the reflected polynomial 0x82F63B78; `CRC32C.checksum("123456789")` is 0xE3069283.
public enum CRC32C {
    /// The reflected Castagnoli polynomial.
    static let polynomial: UInt32 = 0x82F6_3B78

    static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 {
            crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1
        }
        return crc
    }

    /// The checksum of `bytes`.
    public static func checksum<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
        update(0, with: bytes)
    }

    /// Continues a checksum over more bytes: `update(checksum(a), with: b) == checksum(a + b)`.
    public static func update<Bytes: Sequence<UInt8>>(_ previous: UInt32, with bytes: Bytes) -> UInt32 {
        let table = Self.table
        var crc = ~previous
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            for byte in buffer {
                crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
            }
        }
        if done == nil {
            for byte in bytes {
                crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
            }
        }
        return ~crc
    }

    /// The checksum of a string's UTF-8 bytes.
    public static func checksum(_ string: String) -> UInt32 { checksum(Array(string.utf8)) }
}
