/// SipHash-2-4 (Aumasson and Bernstein), the keyed hash RFC 9018 uses for
/// server cookies. Reads its input from a raw buffer; allocates nothing.
public enum SipHash24 {
    @inline(__always)
    static func rotate(_ x: UInt64, _ b: UInt64) -> UInt64 { (x << b) | (x >> (64 - b)) }

    /// One SipRound. A static function with inout state, not a nested function capturing the four
    /// variables: captured variables are heap boxes in debug builds (4 allocations per hash).
    @inline(__always)
    static func round(_ v0: inout UInt64, _ v1: inout UInt64, _ v2: inout UInt64, _ v3: inout UInt64) {
        v0 = v0 &+ v1; v1 = rotate(v1, 13); v1 ^= v0; v0 = rotate(v0, 32)
        v2 = v2 &+ v3; v3 = rotate(v3, 16); v3 ^= v2
        v0 = v0 &+ v3; v3 = rotate(v3, 21); v3 ^= v0
        v2 = v2 &+ v1; v1 = rotate(v1, 17); v1 ^= v2; v2 = rotate(v2, 32)
    }

    public static func hash(key0: UInt64, key1: UInt64, _ data: UnsafeRawBufferPointer) -> UInt64 {
        var v0: UInt64 = 0x736f_6d65_7073_6575 ^ key0
        var v1: UInt64 = 0x646f_7261_6e64_6f6d ^ key1
        var v2: UInt64 = 0x6c79_6765_6e65_7261 ^ key0
        var v3: UInt64 = 0x7465_6462_7974_6573 ^ key1
        let count = data.count
        var offset = 0
        while offset + 8 <= count {
            var m: UInt64 = 0
            for index in 0..<8 { m |= UInt64(data[offset + index]) << (8 * UInt64(index)) }
            v3 ^= m
            round(&v0, &v1, &v2, &v3); round(&v0, &v1, &v2, &v3)
            v0 ^= m
            offset += 8
        }
        var last = UInt64(truncatingIfNeeded: count) << 56
        var shift: UInt64 = 0
        while offset < count {
            last |= UInt64(data[offset]) << shift
            shift += 8
            offset += 1
        }
        v3 ^= last
        round(&v0, &v1, &v2, &v3); round(&v0, &v1, &v2, &v3)
        v0 ^= last
        v2 ^= 0xFF
        round(&v0, &v1, &v2, &v3); round(&v0, &v1, &v2, &v3)
        round(&v0, &v1, &v2, &v3); round(&v0, &v1, &v2, &v3)
        return v0 ^ v1 ^ v2 ^ v3
    }

    /// The key from 16 bytes, little-endian as the reference code reads it.
    public static func key(_ bytes: [UInt8]) -> (UInt64, UInt64) {
        precondition(bytes.count == 16)
        var k0: UInt64 = 0
        var k1: UInt64 = 0
        for index in 0..<8 {
            k0 |= UInt64(bytes[index]) << (8 * UInt64(index))
            k1 |= UInt64(bytes[8 + index]) << (8 * UInt64(index))
        }
        return (k0, k1)
    }
}
