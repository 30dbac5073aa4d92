import Foundation
import Testing

@testable import FailoverControl

@Suite("JSONValue")
struct JSONValueTests {
    @Test("integers and other numbers stay apart")
    func numbers() throws {
        #expect(try JSONValue.parse("7") == .integer(7))
        #expect(try JSONValue.parse("-0") == .integer(0))
        #expect(try JSONValue.parse("7.5") == .number(7.5))
        #expect(try JSONValue.parse("1e3") == .number(1000))
        #expect(try JSONValue.parse("9223372036854775808") == .number(9_223_372_036_854_775_808))
        #expect(JSONValue.number(90).encoded() == "90")
        #expect(JSONValue.number(1.5).encoded() == "1.5")
        #expect(JSONValue.number(.infinity).encoded() == "null")
    }

    @Test("encoding sorts keys, escapes, and stays on one line")
    func encoding() throws {
        let value: JSONValue = ["z": 1, "a": [true, nil, "x\ny\"\\\u{1}é"], "m": ["b": 2.5, "a": "é"]]
        #expect(value.encoded() == #"{"a":[true,null,"x\ny\"\\\u0001é"],"m":{"a":"é","b":2.5},"z":1}"#)
        #expect(try JSONValue.parse(value.encoded()) == value)
    }

    @Test("strings decode escapes and surrogate pairs")
    func strings() throws {
        #expect(try JSONValue.parse(#""a\u00e9\ud83d\ude00\/\t""#) == .string("aé😀/\t"))
    }

    @Test(
        "invalid JSON is rejected",
        arguments: [
            "", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "nul", "01", "1.", "-", "\"abc", "\"a\u{1}\"", "{} {}",
            #"{"a":1,"a":2}"#, #""\ud800""#, #""\udc00x""#, #""\x""#, "NaN", "[1 2]",
        ])
    func invalid(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test("invalid UTF-8 is rejected")
    func invalidUTF8() throws {
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }
        // A sequence cut by an escape: the plain prefix is valid up to it, the whole string is not.
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0x61, 0xC3, 0x5C, 0x6E, 0x22]) }
        #expect(try JSONValue.parse([0x22, 0xC3, 0xA9, 0x5C, 0x6E, 0x22]) == .string("é\n"))
    }

    @Test("nesting is bounded")
    func depth() throws {
        let ok =
            String(repeating: "[", count: JSONValue.maximumDepth)
            + String(repeating: "]", count: JSONValue.maximumDepth)
        _ = try JSONValue.parse(ok)
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
    }

    @Test("accessors")
    func accessors() throws {
        let value = try JSONValue.parse(#"{"s":"x","i":3,"d":2.0,"b":false,"a":[1],"n":null}"#)
        #expect(value["s"]?.stringValue == "x")
        #expect(value["i"]?.int64Value == 3)
        #expect(value["d"]?.int64Value == 2)
        #expect(value["i"]?.doubleValue == 3)
        #expect(value["b"]?.boolValue == false)
        #expect(value["a"]?.arrayValue == [1])
        #expect(value["n"]?.isNull == true)
        #expect(value["missing"] == nil)
        #expect(value["s"]?.int64Value == nil)
    }

    @Test("Codable round trip through Foundation")
    func codable() throws {
        let value: JSONValue = ["a": [1, "x", nil, true], "b": 2.5]
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == value)
    }
}
