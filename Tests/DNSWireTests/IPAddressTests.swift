import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The one address type: parsing and presentation as inet_pton and inet_ntop
/// do them, IPv4-mapped IPv6 addresses unmapped on request (how peers are
/// taken), ordering, Codable, prefixes.
@Suite struct IPAddressTests {
    static func mapped(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> [UInt8] {
        Array(repeating: 0, count: 10) + [0xFF, 0xFF, a, b, c, d]
    }

    static func ntop(_ bytes: [UInt8]) -> String {
        var text = [CChar](repeating: 0, count: 64)
        _ = bytes.withUnsafeBytes { inet_ntop(bytes.count == 4 ? AF_INET : AF_INET6, $0.baseAddress, &text, 64) }
        let end = text.firstIndex(of: 0) ?? text.endIndex
        return String(decoding: text[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test("::ffff:a.b.c.d unmaps to the IPv4 address a.b.c.d, from bytes, halves and text")
    func mappedUnmapsToIPv4() {
        let given = IPAddress(bytes: Self.mapped(198, 51, 100, 1))!
        #expect(given.isIPv6 && given.description == "::ffff:198.51.100.1")
        let fromBytes = given.unmappingIPv4()
        #expect(!fromBytes.isIPv6)
        #expect(fromBytes == IPAddress(ipv4: (198, 51, 100, 1)))
        #expect(fromBytes.bytes == [198, 51, 100, 1])
        #expect(fromBytes.description == "198.51.100.1")
        #expect(IPAddress(ipv6High: 0, low: 0x0000_FFFF_C633_6401).unmappingIPv4() == fromBytes)
        #expect(IPAddress("::ffff:198.51.100.1")?.unmappingIPv4() == fromBytes)
        #expect(fromBytes.unmappingIPv4() == fromBytes)
    }

    @Test("Other IPv6 addresses stay IPv6 when unmapped, including ::1 and the IPv4-compatible form")
    func otherIPv6Stays() {
        let loopback = IPAddress(bytes: Array(repeating: 0, count: 15) + [1])!.unmappingIPv4()
        #expect(loopback.isIPv6 && loopback.description == "::1")
        let compatible = IPAddress(bytes: Array(repeating: 0, count: 12) + [198, 51, 100, 1])!.unmappingIPv4()
        #expect(compatible.isIPv6)
        let nearlyMapped = IPAddress(bytes: Array(repeating: 0, count: 10) + [0xFF, 0xFE, 1, 2, 3, 4])!
        #expect(nearlyMapped.unmappingIPv4().isIPv6)
    }

    @Test("Text parses as inet_pton reads it, and round-trips through its bytes", arguments: [
        "0.0.0.0", "192.0.2.1", "255.255.255.255", "::", "::1", "2001:db8::1", "2001:DB8:0::1", "fe80::1:2",
        "::ffff:10.0.0.1", "1:2:3:4:5:6:7:8", "::1.2.3.4",
    ])
    func parsesAsInetPton(text: String) throws {
        let address = try #require(IPAddress(text))
        var buffer = [UInt8](repeating: 0, count: 16)
        let family = text.contains(":") ? AF_INET6 : AF_INET
        #expect(inet_pton(family, text, &buffer) == 1)
        #expect(address.bytes == Array(buffer.prefix(address.byteCount)))
        #expect(address.description == Self.ntop(address.bytes))
        #expect(IPAddress(bytes: address.bytes) == address)
        #expect(IPAddress(address.description) == address)
    }

    @Test("Anything else is refused", arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4x", "::1%eth0", "1:2:3:4:5:6:7:8:9", "g::1", " 1.2.3.4",
        "example.com", "[::1]",
    ])
    func refusesNonAddresses(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func bytesOfOtherLengthsAreRefused() {
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(IPAddress(bytes: [UInt8](repeating: 0, count: 5)) == nil)
        #expect(IPAddress(bytes: [UInt8]()) == nil)
    }

    @Test("Ordered IPv4 first, then by bytes; equal only with the same family and bytes")
    func ordering() throws {
        let texts = ["2001:db8::2", "10.0.0.1", "::ffff:10.0.0.1", "9.255.255.255", "::1", "10.0.0.2"]
        let sorted = try texts.map { try #require(IPAddress($0)) }.sorted().map(\.description)
        #expect(sorted == ["9.255.255.255", "10.0.0.1", "10.0.0.2", "::1", "::ffff:10.0.0.1", "2001:db8::2"])
        #expect(IPAddress("10.0.0.1") != IPAddress("::ffff:10.0.0.1"))
        #expect(Set(["10.0.0.1", "10.0.0.1", "::a00:1"].compactMap { IPAddress($0) }).count == 2)
    }

    @Test("Loopback: 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 only")
    func loopback() {
        for text in ["127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1"] { #expect(IPAddress(text)!.isLoopback, "\(text)") }
        for text in ["128.0.0.1", "::2", "::", "0.0.0.0", "::ffff:10.0.0.1", "::127.0.0.1"] {
            #expect(!IPAddress(text)!.isLoopback, "\(text)")
        }
    }

    @Test("Codable as its presentation text; bad text is a decoding error")
    func codable() throws {
        let addresses = ["192.0.2.1", "2001:db8::1"].compactMap { IPAddress($0) }
        let data = try JSONEncoder().encode(addresses)
        #expect(String(decoding: data, as: UTF8.self) == #"["192.0.2.1","2001:db8::1"]"#)
        #expect(try JSONDecoder().decode([IPAddress].self, from: data) == addresses)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([IPAddress].self, from: Data(#"["1.2.3"]"#.utf8)) }
    }

    @Test("Prefixes: the network is masked, containment unmaps IPv4-mapped peers", arguments: [
        ("192.0.2.0/24", "192.0.2.77", true), ("192.0.2.0/24", "192.0.3.1", false),
        ("192.0.2.0/24", "::ffff:192.0.2.1", true), ("::1", "::1", true), ("::1", "::2", false),
        ("10.0.0.0/8", "::a00:1", false), ("0.0.0.0/0", "203.0.113.9", true), ("0.0.0.0/0", "2001:db8::1", false),
        ("2001:db8::/32", "2001:db8:ffff::1", true), ("2001:db8::/32", "2001:db9::1", false),
        ("2001:db8:0:1::/63", "2001:db8:0:0::1", true), ("::/0", "::ffff:1.2.3.4", false),
    ])
    func prefixContainment(prefix: String, address: String, contained: Bool) throws {
        let parsed = try #require(AddressPrefix(prefix))
        #expect(parsed.contains(try #require(IPAddress(address))) == contained)
    }

    @Test func prefixTextAndRefusals() {
        #expect(AddressPrefix("10.1.2.3/8")?.description == "10.0.0.0/8")
        #expect(AddressPrefix("2001:db8::1")?.description == "2001:db8::1/128")
        for bad in ["10.0.0.0/33", "::/129", "bogus", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", "/8", "10.0.0.0/+8"] {
            #expect(AddressPrefix(bad) == nil, "\(bad)")
        }
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
            // Zero bytes often, so runs of zero words (and ::/96, ::ffff:0:0/96 forms) turn up.
            (0..<16).map { _ in random.next() & 1 == 0 ? 0 : UInt8.random(in: 0...255) }
        }
        for bytes in samples {
            #expect(IPAddress(bytes: bytes)!.description == Self.ntop(bytes), "\(bytes)")
        }
        #expect(IPAddress(ipv4: (10, 0, 0, 255)).description == "10.0.0.255")
    }

    @Test("Prefixes keep the leading bits of the family's length")
    func prefixes() {
        let v4 = IPAddress(bytes: Self.mapped(198, 51, 100, 77))!.unmappingIPv4().prefix(ipv4Bits: 24, ipv6Bits: 56)
        #expect(v4 == IPAddress(ipv4: (198, 51, 100, 0)))
        let v6 = IPAddress(bytes: [0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 9, 9, 9, 9, 9, 9, 9, 9])!
        #expect(v6.prefix(ipv4Bits: 24, ipv6Bits: 56).bytes
            == [0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(v6.prefix(ipv4Bits: 24, ipv6Bits: 64).bytes
            == [0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(v6.prefix(ipv4Bits: 24, ipv6Bits: 128) == v6)
        #expect(v6.prefix(ipv4Bits: 24, ipv6Bits: 0).bytes == Array(repeating: 0, count: 16))
    }
}
