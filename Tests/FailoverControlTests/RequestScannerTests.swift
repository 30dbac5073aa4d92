import TestSupport
import Testing

@testable import FailoverControl

/// The one-pass scanner must agree with the full parser on every line it decodes, and leave every line it
/// does not take (all invalid ones among them) to the full parser, which gives the error.
@Suite("Request scanner")
struct RequestScannerTests {
    /// The full parser's answer: the id and command, or nil when it rejects the line.
    static func reference(_ line: [UInt8]) -> (id: JSONValue, command: ControlCommand)? {
        guard let request = try? ControlRequest(line: line), let command = try? request.command() else { return nil }
        return (request.id, command)
    }

    static func scan(_ line: [UInt8]) -> (id: JSONValue, command: ControlCommand)? {
        line.withUnsafeBufferPointer { RequestScanner.decode($0) }
    }

    /// Lines the daemon sees most: the scanner must take them (or the fast path silently stops working).
    static let common: [String] = [
        #"{"id": 7, "op": "app.put", "args": {"app": "app1", "name": "bench 0 1", "web_head": {"hostname": "lb-m0-1.example.net"}}}"#,
        #"{"id":"x-1","op":"app.put","args":{"app":"a1","name":"Shop é","web_head":{"addresses":["192.0.2.1","::1"]}}}"#,
        #"{"id":-3,"op":"app.put","args":{"app":"a1","name":"S","web_head":null}}"#,
        #"{"op":"group.switch","args":{"address":"414-262-781","to":"backup","delay_seconds":0,"requested_by":null}}"#,
        #"{"id":1,"op":"group.update","args":{"address":"414-262-781","primary":"a2","backup":null,"if_version":3}}"#,
        #"{"id":1,"op":"group.create","args":{"address":"414-262-781","primary":"a1"}}"#,
        #"{"id":1,"op":"group.create"}"#,
        #"{"id":1,"op":"group.cancel","args":{"address":"414-262-781"}}"#,
        #"{"id":1,"op":"group.delete","args":{"address":"414-262-781"}}"#,
        #"{"id":1,"op":"group.get","args":{"address":"414-262-781"}}"#,
        #"{"id":1,"op":"app.remove","args":{"app":"a1"}}"#,
        #"{"id":1,"op":"app.get","args":{"app":"a1"}}"#,
        #"{"id":1,"op":"app.status","args":{"app":"a1"}}"#,
        #"{"id":1,"op":"hello","args":{"protocol":1}}"#,
        #"{"id":null,"op":"stats","args":{}}"#,
        #" { "args" : null , "op" : "group.list" , "id" : 9223372036854775807 } "#,
        #"{"id":-9223372036854775808,"op":"export"}"#,
    ]

    @Test("common lines take the fast path and decode as the full parser does", arguments: common)
    func takesCommon(_ text: String) throws {
        let line = Array(text.utf8)
        let fast = try #require(Self.scan(line))
        let full = try #require(Self.reference(line))
        #expect(fast.id == full.id)
        #expect(fast.command == full.command)
    }

    /// Lines the scanner leaves to the full parser: invalid ones, and valid ones outside its subset.
    static let declined: [String] = [
        "", "{", "}", "[]", "null", #""op""#, "{}",
        #"{"id":1,"op":"hello""#,
        #"{"id":1,"op":"hello"} x"#,
        #"{"id":1,"op":"hello",}"#,
        #"{"id":1,,"op":"hello"}"#,
        #"{"id":1 "op":"hello"}"#,
        #"{"id":01,"op":"hello"}"#,
        #"{"id":-,"op":"hello"}"#,
        #"{"id":2.5,"op":"hello"}"#,
        #"{"id":1e3,"op":"hello"}"#,
        #"{"id":9223372036854775808,"op":"hello"}"#,
        #"{"id":-9223372036854775809,"op":"hello"}"#,
        #"{"id":true,"op":"hello"}"#,
        #"{"id":{},"op":"hello"}"#,
        #"{"id":1,"id":2,"op":"hello"}"#,
        #"{"id":1,"op":"hello","op":"hello"}"#,
        #"{"id":1,"op":"hello","args":{},"args":{}}"#,
        #"{"id":1,"op":"HELLO"}"#,
        #"{"id":1,"op":7}"#,
        #"{"id":1,"op":"hello","arg":{}}"#,
        #"{"id":1,"op":"hello","args":[]}"#,
        #"{"id":1,"op":"hello","args":{"protocol":2}}"#,
        #"{"id":1,"op":"hello","args":{"protocol":"1"}}"#,
        #"{"id":1,"op":"stats","args":{"x":1}}"#,
        #"{"id":1,"op":"stats","args":{"app":"a"}}"#,
        #"{"id":"a\"b","op":"hello"}"#,
        #"{"id":"\u0061","op":"hello"}"#,
        #"{"id":1,"\u006fp":"hello"}"#,
        "{\"id\":\"a\u{01}b\",\"op\":\"hello\"}",
        #"{"id":1,"op":"app.put","args":{"app":"a","name":"n"}}"#,
        #"{"id":1,"op":"app.put","args":{"app":1,"name":"n","web_head":null}}"#,
        #"{"id":1,"op":"app.put","args":{"app":"a","name":"n","web_head":"lb"}}"#,
        #"{"id":1,"op":"app.put","args":{"app":"a","name":"n","web_head":{}}}"#,
        #"{"id":1,"op":"app.put","args":{"app":"a","name":"n","web_head":{"hostname":"x","addresses":[]}}}"#,
        #"{"id":1,"op":"app.put","args":{"app":"a","name":"n","web_head":{"addresses":["1.2.3.4",5]}}}"#,
        #"{"id":1,"op":"app.put","args":{"app":"a","name":"n","web_head":{"addresses":["1.2.3.4",]}}}"#,
        #"{"id":1,"op":"app.put","args":{"app":"a","name":"n","web_head":{"host":"x"}}}"#,
        #"{"id":1,"op":"app.put","args":{"app":"a","app":"b","name":"n","web_head":null}}"#,
        #"{"id":1,"op":"app.put","args":{"app":"a","name":"n","web_head":null,"address":"1"}}"#,
        #"{"id":1,"op":"app.get","args":{"app":null}}"#,
        #"{"id":1,"op":"app.get"}"#,
        #"{"id":1,"op":"group.update","args":{"adress":"1"}}"#,
        #"{"id":1,"op":"group.update","args":{"address":"1","primary":5}}"#,
        #"{"id":1,"op":"group.update","args":{"address":"1","if_version":-1}}"#,
        #"{"id":1,"op":"group.update","args":{"address":"1","if_version":2.5}}"#,
        #"{"id":1,"op":"group.switch","args":{"address":"1","to":"secondary"}}"#,
        #"{"id":1,"op":"group.switch","args":{"address":"1"}}"#,
        #"{"id":1,"op":"group.switch","args":{"address":"1","to":"backup","delay_seconds":"90"}}"#,
        #"{"id":1,"op":"group.switch","args":{"address":"1","to":"backup","delay_seconds":1.5}}"#,
        #"{"id":1,"op":"group.create","args":{"primary":["a"]}}"#,
        #"{"id":1,"op":"group.get","args":{}}"#,
    ]

    @Test("invalid lines, and valid ones outside the subset, go to the full parser", arguments: declined)
    func declinesOthers(_ text: String) {
        #expect(Self.scan(Array(text.utf8)) == nil)
    }

    @Test("invalid UTF-8 in a string goes to the full parser, which refuses it")
    func invalidUTF8() {
        var line = Array(#"{"id":"ab","op":"hello"}"#.utf8)
        line[7] = 0xFF
        #expect(Self.scan(line) == nil)
        #expect(Self.reference(line) == nil)
    }

    @Test("decodeCommand strips the line ending before the fast path")
    func lineEndings() throws {
        let decoded = try ControlRequest.decodeCommand(line: Array((#"{"id":1,"op":"stats"}"# + "\r\n").utf8))
        #expect(decoded.id == 1)
        #expect(decoded.command == .stats)
    }

    /// Mutated copies of the common lines (bytes dropped, doubled, replaced): whatever the scanner decodes,
    /// the full parser must decode to the same.
    @Test("the scanner never accepts what the full parser decodes otherwise (mutated lines)")
    func mutations() {
        var generator = SeededRandom(seed: 20261128)
        let alphabet = Array(#"{}[],:" \-01289.eE\nulltrue"#.utf8) + [0x00, 0x1F, 0xC3, 0xFF]
        var checked = 0
        for text in Self.common {
            let original = Array(text.utf8)
            for _ in 0..<400 {
                var line = original
                for _ in 0...Int(generator.next() % 3) {
                    let position = Int(generator.next() % UInt64(line.count))
                    switch generator.next() % 3 {
                    case 0: line.remove(at: position)
                    case 1: line.insert(line[position], at: position)
                    default: line[position] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                    }
                    if line.isEmpty { break }
                }
                guard let fast = Self.scan(line) else { continue }
                checked += 1
                let full = Self.reference(line)
                #expect(full?.id == fast.id, "\(String(decoding: line, as: UTF8.self))")
                #expect(full?.command == fast.command, "\(String(decoding: line, as: UTF8.self))")
            }
        }
        #expect(checked > 100)
    }
}
