import DNSSEC
import DNSWire
import Testing

/// Names inside RDATA are lowercased for the types RFC 4034 6.2 lists, and
/// nothing else is touched.
@Suite struct CanonicalRDataTests {
    static func name(_ text: String) -> [UInt8] { (try! DomainName(text)).wire }

    @Test func namesAreLowercasedWhereTheTypeHasThem() {
        let soaTail: [UInt8] = Array(1...20)
        #expect(CanonicalRData.lowercased(Self.name("NS1.Example.COM") + Self.name("HostMaster.Example.com") + soaTail,
                                          type: .soa)
            == Self.name("ns1.example.com") + Self.name("hostmaster.example.com") + soaTail)
        #expect(CanonicalRData.lowercased([0, 1, 0, 2, 0x1F, 0x90] + Self.name("SIP.Example.com"), type: .srv)
            == [0, 1, 0, 2, 0x1F, 0x90] + Self.name("sip.example.com"))
        // NAPTR: order, preference, then flags "U", services "E2U+sip", regexp "!^.*$!sip:A@B!" kept as they are.
        let strings: [UInt8] = [1, UInt8(ascii: "U"), 7] + Array("E2U+sip".utf8) + [14] + Array("!^.*$!sip:A@B!".utf8)
        #expect(CanonicalRData.lowercased([0, 10, 0, 20] + strings + Self.name("Next.Example.com"), type: RecordType(35))
            == [0, 10, 0, 20] + strings + Self.name("next.example.com"))
    }

    @Test func otherTypesAndMalformedRDataAreLeftAlone() {
        let txt: [UInt8] = [5] + Array("HeLLo".utf8)
        #expect(CanonicalRData.lowercased(txt, type: .txt) == txt)
        #expect(CanonicalRData.lowercased([192, 0, 2, 1], type: .a) == [192, 0, 2, 1])
        let truncated: [UInt8] = [0, 10, 4] + Array("MAI".utf8)
        #expect(CanonicalRData.lowercased(truncated, type: .mx) == truncated)
        let badNAPTR: [UInt8] = [0, 10, 0, 20, 200, 1]
        #expect(CanonicalRData.lowercased(badNAPTR, type: RecordType(35)) == badNAPTR)
    }
}
