import DNSSEC
import DNSWire
import Testing

@Suite struct NSECRecordTests {
    /// RFC 4034 4.3: `alfa.example.com. NSEC host.example.com. (A MX RRSIG NSEC TYPE1234)`, byte for byte.
    @Test func rfc4034Example() throws {
        let record = NSECRecord(nextName: try DomainName("host.example.com."),
                                types: [.a, .mx, .rrsig, .nsec, RecordType(1234)])
        let expected: [UInt8] =
            [0x04] + Array("host".utf8) + [0x07] + Array("example".utf8) + [0x03] + Array("com".utf8) + [0x00]
            + [0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03]
            + [0x04, 0x1b] + [UInt8](repeating: 0, count: 26) + [0x20]
        #expect(record.rdata == expected)
    }

    @Test func nextNameIsLowercasedAndWindowsAreInOrder() throws {
        let record = NSECRecord(nextName: try DomainName("Host.Example."), types: [RecordType(65000), .aaaa, .caa])
        let map = NSECRecord.typeBitMap([RecordType(65000), .aaaa, .caa])
        #expect(record.rdata == (try DomainName("host.example.")).wire + map)
        // Window 0 (AAAA = 28), window 1 (CAA = 257), window 253 (65000 = 253 * 256 + 232).
        #expect(map == [0, 4, 0, 0, 0, 0x08] + [1, 1, 0x40] + [253, 30] + [UInt8](repeating: 0, count: 29) + [0x80])
    }
}
