import QueryEngine
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Client addresses: IPv4-mapped IPv6 peers (how a dual-stack socket reports
/// IPv4 clients) are IPv4 everywhere; presentation matches inet_ntop.
@Suite struct ClientAddressTests {
    static func mapped(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> [UInt8] {
        Array(repeating: 0, count: 10) + [0xFF, 0xFF, a, b, c, d]
    }

    static func ntop(_ bytes: [UInt8]) -> String {
        var text = [CChar](repeating: 0, count: 64)
        _ = bytes.withUnsafeBytes { inet_ntop(bytes.count == 4 ? AF_INET : AF_INET6, $0.baseAddress, &text, 64) }
        let end = text.firstIndex(of: 0) ?? text.endIndex
        return String(decoding: text[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test("::ffff:a.b.c.d is the IPv4 address a.b.c.d, from bytes and from halves")
    func mappedIsIPv4() {
        let fromBytes = ClientAddress(ipv6: Self.mapped(198, 51, 100, 1))
        #expect(!fromBytes.isIPv6)
        #expect(fromBytes == ClientAddress(ipv4: (198, 51, 100, 1)))
        #expect(fromBytes.bytes == [198, 51, 100, 1])
        #expect(fromBytes.description == "198.51.100.1")
        let fromHalves = ClientAddress(high: 0, low: 0x0000_FFFF_C633_6401)
        #expect(fromHalves == fromBytes)
    }

    @Test("Other IPv6 addresses stay IPv6, including ::1 and the IPv4-compatible form")
    func otherIPv6Stays() {
        let loopback = ClientAddress(ipv6: Array(repeating: 0, count: 15) + [1])
        #expect(loopback.isIPv6 && loopback.description == "::1")
        let compatible = ClientAddress(ipv6: Array(repeating: 0, count: 12) + [198, 51, 100, 1])
        #expect(compatible.isIPv6)
        let nearlyMapped = ClientAddress(ipv6: Array(repeating: 0, count: 10) + [0xFF, 0xFE, 1, 2, 3, 4])
        #expect(nearlyMapped.isIPv6)
    }

    @Test("Presentation matches inet_ntop for IPv4 and IPv6 (RFC 5952 zero compression)")
    func presentation() {
        var random = SystemRandomNumberGenerator()
        let samples: [[UInt8]] = [
            [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1],
            [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1],
            [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1],
            [0xfe, 0x80] + Array(repeating: 0, count: 14),
            Array(repeating: 0xff, count: 16),
        ] + (0..<200).map { _ in
            // A first byte of 1: glibc writes ::/96 addresses (IPv4-compatible) as ::a.b.c.d, RFC 5952 does not.
            [1] + (1..<16).map { _ in random.next() & 1 == 0 ? 0 : UInt8.random(in: 0...255) }
        }
        for bytes in samples {
            #expect(ClientAddress(ipv6: bytes).description == Self.ntop(bytes), "\(bytes)")
        }
        #expect(ClientAddress(ipv4: (10, 0, 0, 255)).description == "10.0.0.255")
    }

    @Test("Prefixes keep the leading bits of the family's length")
    func prefixes() {
        let v4 = ClientAddress(ipv6: Self.mapped(198, 51, 100, 77)).prefix(ipv4Bits: 24, ipv6Bits: 56)
        #expect(v4 == ClientAddress(ipv4: (198, 51, 100, 0)))
        let v6 = ClientAddress(ipv6: [0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 9, 9, 9, 9, 9, 9, 9, 9])
        #expect(v6.prefix(ipv4Bits: 24, ipv6Bits: 56).bytes
            == [0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(v6.prefix(ipv4Bits: 24, ipv6Bits: 64).bytes
            == [0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(v6.prefix(ipv4Bits: 24, ipv6Bits: 128) == v6)
        #expect(v6.prefix(ipv4Bits: 24, ipv6Bits: 0).bytes == Array(repeating: 0, count: 16))
    }
}
