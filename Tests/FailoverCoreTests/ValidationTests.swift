import DNSWire
import Glibc
import Foundation
import Testing
import TestSupport

@testable import FailoverCore

@Suite struct AppIDValidationTests {
    @Test(arguments: ["a", "app1", "A.b_c:d-e", "123", String(repeating: "x", count: 128), "uuid:9f8e-7d6c"])
    func accepts(_ text: String) throws {
        #expect(try AppID(text).rawValue == text)
    }

    @Test(arguments: ["", String(repeating: "x", count: 129), "a b", "a/b", "é", "a\n", "a@b", "a,b"])
    func rejects(_ text: String) {
        expectError(.badRequest) { _ = try AppID(text) }
    }

    @Test func decodingValidates() {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([AppID].self, from: Data(#"["a b"]"#.utf8)) }
    }
}

@Suite struct AppNameValidationTests {
    @Test(arguments: ["Shop", "Ünïcode 店 🚀", String(repeating: "n", count: 200), " spaced "])
    func accepts(_ name: String) throws {
        #expect(try App(id: appID("a"), name: name, webHead: nil).name == name)
    }

    @Test(arguments: ["", String(repeating: "n", count: 201), "tab\there", "new\nline", "nul\u{0}", "del\u{7F}"])
    func rejects(_ name: String) {
        expectError(.badRequest) { _ = try App(id: appID("a"), name: name, webHead: nil) }
    }
}

@Suite struct HostnameValidationTests {
    @Test(arguments: [
        ("lb.example.net", "lb.example.net"),
        ("LB.Example.NET.", "lb.example.net"),
        ("a.b", "a.b"),
        ("_svc.x-y.example", "_svc.x-y.example"),
        ("a1-b2.c3", "a1-b2.c3"),
        ("123.example", "123.example"),
        (String(repeating: "a", count: 63) + ".com", String(repeating: "a", count: 63) + ".com"),
    ])
    func accepts(input: String, stored: String) throws {
        #expect(try WebHead.hostname(validating: input) == .hostname(stored))
    }

    static let longName = Array(repeating: String(repeating: "a", count: 62), count: 4).joined(separator: ".")
        + ".abc"  // 4 * 63 + 3 = 255 > 253

    @Test(arguments: [
        "", ".", "localhost", "localhost.", "-a.example", "a-.example", "a..example", ".a.example",
        "a.example..", "a b.example", "192.0.2.1", "a.123", "a.ex!ample", "é.example", "a/b.example",
        String(repeating: "a", count: 64) + ".com", longName,
    ])
    func rejects(_ input: String) {
        expectError(.badRequest) { _ = try WebHead.hostname(validating: input) }
    }

    @Test func limitIs253() throws {
        let name = Array(repeating: String(repeating: "a", count: 62), count: 4).joined(separator: ".") + ".a"
        #expect(name.count == 253)
        _ = try WebHead.hostname(validating: name)
        _ = try WebHead.hostname(validating: name + ".")
        expectError(.badRequest) { _ = try WebHead.hostname(validating: name + "a") }
    }

    /// The byte check a checkpoint load makes agrees with the validator: bytes are in normal form exactly
    /// when normalizing them gives them back. Every listed case, then 100,000 seeded random names over an
    /// alphabet of the characters that matter (edges of each class, dots, upper case, non-ASCII).
    @Test func normalFormCheckAgreesWithTheValidator() {
        func agrees(_ text: String) -> Bool {
            WebHead.isNormalHostname(Array(text.utf8)[...]) == ((try? WebHead.normalizeHostname(text)) == text)
        }
        let listed = ["lb.example.net", "LB.example.net", "a.b", "a.b.", "_.x", "a.1", "1.a", "a-.b", "a.-b", "a..b",
                      ".a.b", "a", "a.b-", "-a.b", "0-0.a", "a.0-0", Self.longName, String(repeating: "a", count: 64) + ".b"]
        for text in listed { #expect(agrees(text), "\(text)") }
        let alphabet = Array("az09-_.AZ./é ".utf8)
        var random = SeededRandom(seed: 0x5EED)
        var normal = 0
        var disagreements: [String] = []
        for _ in 0..<100_000 {
            let length = Int.random(in: 1...10, using: &random)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &random)! }
            let text = String(decoding: bytes, as: UTF8.self)
            if !agrees(text) { disagreements.append(text) }
            if WebHead.isNormalHostname(Array(text.utf8)[...]) { normal += 1 }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10))")
        #expect(normal > 300, "too few normal names drawn to mean anything: \(normal)")
    }
}

@Suite struct IPAddressValidationTests {
    @Test(arguments: [
        ("192.0.2.1", "192.0.2.1", 4),
        ("0.0.0.0", "0.0.0.0", 4),
        ("255.255.255.255", "255.255.255.255", 4),
        ("2001:db8::1", "2001:db8::1", 16),
        ("2001:DB8:0:0:0:0:0:0001", "2001:db8::1", 16),
        ("::", "::", 16),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1", 16),
    ])
    func accepts(input: String, presentation: String, size: Int) throws {
        let parsed = try #require(IPAddress(input))
        #expect(try WebHead.addresses(validating: [input]) == .addresses([parsed]))
        #expect(parsed.description == presentation)
        #expect(parsed.bytes.count == size)
    }

    /// Our IPv4 presentation matches inet_ntop for every octet value in every position.
    @Test func ipv4PresentationMatchesInetNtop() throws {
        for position in 0..<4 {
            for value in 0...255 {
                var bytes: [UInt8] = [192, 0, 2, 7]
                bytes[position] = UInt8(value)
                var text = [CChar](repeating: 0, count: 16)
                #expect(inet_ntop(AF_INET, bytes, &text, 16) != nil)
                let expected = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                let address = try #require(IPAddress(bytes: bytes))
                #expect(address.description == expected)
                #expect(IPAddress(expected)?.bytes == bytes)
            }
        }
    }

    @Test func keepsNetworkOrderBytes() throws {
        #expect(IPAddress("192.0.2.1")?.bytes == [192, 0, 2, 1])
        #expect(IPAddress("2001:db8::1")?.bytes == [0x20, 0x01, 0x0D, 0xB8] + Array(repeating: 0, count: 11) + [1])
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "01.2.3.4x", "a.b.c.d", "2001:db8::g",
        "2001:db8:::1", "fe80::1%eth0", "1:2:3:4:5:6:7:8:9", "lb.example.net", "::1/128",
    ])
    func rejects(_ input: String) {
        #expect(IPAddress(input) == nil)
        expectError(.badRequest) { _ = try WebHead.addresses(validating: [input]) }
    }
}

@Suite struct WebHeadAddressesTests {
    @Test func dedupesAndSorts() throws {
        let head = try WebHead.addresses(validating: ["2001:db8::2", "192.0.2.9", "192.0.2.1", "2001:DB8::2"])
        guard case .addresses(let list) = head else { Issue.record("not addresses"); return }
        #expect(list.map(\.description) == ["192.0.2.1", "192.0.2.9", "2001:db8::2"])
    }

    @Test func limits() throws {
        expectError(.badRequest) { _ = try WebHead.addresses(validating: []) }
        let sixteen = (1...16).map { "192.0.2.\($0)" }
        _ = try WebHead.addresses(validating: sixteen)
        expectError(.badRequest) { _ = try WebHead.addresses(validating: sixteen + ["192.0.2.99"]) }
        expectError(.badRequest) { _ = try WebHead.addresses(validating: ["192.0.2.1", "nope"]) }
    }

    @Test(arguments: [
        (#"{"hostname":"LB.example.net."}"#, #"{"hostname":"lb.example.net"}"#),
        (#"{"addresses":["2001:db8::1","192.0.2.1"]}"#, #"{"addresses":["192.0.2.1","2001:db8::1"]}"#),
    ])
    func json(input: String, output: String) throws {
        let head = try JSONDecoder().decode(WebHead.self, from: Data(input.utf8))
        #expect(String(decoding: try JSONEncoder().encode(head), as: UTF8.self) == output)
    }

    @Test(arguments: [#"{}"#, #"{"hostname":"x"}"#, #"{"hostname":"a.b","addresses":["192.0.2.1"]}"#,
                      #"{"addresses":[]}"#, #"{"addresses":["x"]}"#])
    func jsonRejects(_ input: String) {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(WebHead.self, from: Data(input.utf8)) }
    }
}

@Suite struct GroupAddressTests {
    @Test(arguments: [
        ("000-000-000", UInt32(0)), ("004-262-781", UInt32(4_262_781)), ("414-262-781", UInt32(414_262_781)),
        ("999-999-999", UInt32(999_999_999)),
    ])
    func roundTrip(text: String, value: UInt32) throws {
        let parsed = try GroupAddress(text)
        #expect(parsed.value == value)
        #expect(parsed.description == text)
        #expect(GroupAddress(value: value)?.description == text)
    }

    @Test(arguments: [
        "", "414262781", "414-262-78", "414-262-7811", "41-4262-781", "414_262_781", "414-262-78a", "+14-262-781",
        " 414-262-781", "414-262-781.", "４１４-262-781",
    ])
    func rejects(_ text: String) {
        expectError(.badRequest) { _ = try GroupAddress(text) }
    }

    @Test func valueRange() {
        #expect(GroupAddress(value: 1_000_000_000) == nil)
        #expect(GroupAddress(value: .max) == nil)
    }

    @Test func parsesLabelBytes() {
        #expect(GroupAddress.parse(Array("004-262-781".utf8))?.value == 4_262_781)
        #expect(GroupAddress.parse(Array("004-262-78".utf8)) == nil)
    }
}
