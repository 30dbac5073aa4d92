import CCRC32C
import TestSupport
import Testing

@testable import FailoverCore

@Suite struct CRC32CTests {
    @Test(arguments: [
        ("123456789", UInt32(0xE306_9283)),
        ("", UInt32(0)),
        ("a", UInt32(0xC1D0_4330)),
    ])
    func vectors(input: String, expected: UInt32) {
        #expect(CRC32C.checksum(input) == expected)
    }

    @Test func thirtyTwoZeros() {
        // RFC 3720 B.4: 32 bytes of zeros.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    }

    @Test func incremental() {
        let bytes = Array("123456789".utf8)
        #expect(CRC32C.update(CRC32C.checksum(bytes[..<4]), with: bytes[4...]) == 0xE306_9283)
    }

    /// The SSE4.2 path and the table agree on every length and alignment.
    @Test func hardwareAndTableAgree() {
        var random = SeededRandom(seed: 32)
        let bytes = random.bytes(4_096)
        for start in 0..<9 {
            for length in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1_000, 4_000] {
                let slice = bytes[start..<(start + length)]
                let expected = slice.withUnsafeBytes { fo_crc32c_update_table(0x1234_5678, $0.baseAddress, $0.count) }
                #expect(CRC32C.update(0x1234_5678, with: slice) == expected, "start \(start), length \(length)")
            }
        }
    }
}
