import DNSWire
import Testing

@Suite struct DomainNameTests {
    @Test(arguments: [
        ("example.com.", [7, 101, 120, 97, 109, 112, 108, 101, 3, 99, 111, 109, 0] as [UInt8]),
        ("example.com", [7, 101, 120, 97, 109, 112, 108, 101, 3, 99, 111, 109, 0]),
        (".", [0]),
        ("a\\.b.c", [3, 97, 46, 98, 1, 99, 0]),
        ("\\065.", [1, 65, 0]),
    ])
    func parsesPresentationFormat(text: String, wire: [UInt8]) throws {
        #expect(try DomainName(text).wire == wire)
    }

    @Test func rejectsBadNames() {
        #expect(throws: NameError.self) { try DomainName("a..b") }
        #expect(throws: NameError.self) { try DomainName(String(repeating: "x", count: 64) + ".com") }
        let long = Array(repeating: String(repeating: "x", count: 63), count: 4).joined(separator: ".")
        #expect(throws: NameError.self) { try DomainName(long) }
        #expect(throws: NameError.self) { try DomainName("bad\\") }
    }

    @Test func comparesCaseInsensitivelyAndKeepsCase() throws {
        let mixed = try DomainName("WwW.ExAmple.COM")
        #expect(mixed == (try DomainName("www.example.com")))
        #expect(mixed.description == "WwW.ExAmple.COM.")
        #expect(mixed.lowercased.description == "www.example.com.")
        #expect(mixed.isSubdomain(of: try DomainName("example.com")))
        #expect(!mixed.isSubdomain(of: try DomainName("ample.com")))
        #expect(mixed.parent.description == "ExAmple.COM.")
    }

    @Test func escapesOnOutput() throws {
        #expect(DomainName(wire: [3, 97, 46, 98, 0])!.description == "a\\.b.")
        #expect(DomainName(wire: [1, 7, 0])!.description == "\\007.")
        #expect(DomainName(wire: [64] + Array(repeating: 97, count: 64) + [0]) == nil)
        #expect(DomainName(wire: [3, 97, 98]) == nil)
    }
}
