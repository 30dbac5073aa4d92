import CCRC32C

/// CRC-32C (Castagnoli), as used by iSCSI, ext4 and many journals; detects torn and flipped journal bytes.
///
/// Computed in C (`CCRC32C`): the SSE4.2 instruction where present, a table over the reflected polynomial
/// 0x82F63B78 otherwise. `CRC32C.checksum("123456789")` is 0xE3069283.
public enum CRC32C {
    /// The checksum of `bytes`.
    public static func checksum<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
        update(0, with: bytes)
    }

    /// Continues a checksum over more bytes: `update(checksum(a), with: b) == checksum(a + b)`.
    /// Contiguous bytes go through the C implementation (SSE4.2 when present).
    public static func update<Bytes: Sequence<UInt8>>(_ previous: UInt32, with bytes: Bytes) -> UInt32 {
        if let result = bytes.withContiguousStorageIfAvailable({ fo_crc32c_update(previous, $0.baseAddress, $0.count) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { fo_crc32c_update(previous, $0.baseAddress, $0.count) }
    }

    /// The checksum of a string's UTF-8 bytes.
    public static func checksum(_ string: String) -> UInt32 { checksum(Array(string.utf8)) }
}
