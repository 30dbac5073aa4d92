import Testing

@testable import FailoverControl

/// Lines written straight into bytes must equal the encoding of the JSON value they stand for.
@Suite("Direct encoding")
struct DirectEncodingTests {
    static let strings = [
        "", "plain", "quote \" and \\ backslash", "line\nbreak\r\ttab", "\u{01}\u{1F}\u{7F}", "é → 🙂",
    ]

    static let apps: [AppInfo] = strings.flatMap { text in
        [
            AppInfo(app: "a1", name: text, webHead: .hostname("lb\(text).example.net"), status: .online),
            AppInfo(app: text, name: "Shop", webHead: .addresses(["192.0.2.1", text, "::1"]), status: .offline),
            AppInfo(app: "a2", name: text, webHead: .addresses([]), status: .none),
            AppInfo(app: "a3", name: text, webHead: nil, status: .none),
        ]
    }

    @Test("AppInfo.write equals its JSON encoding", arguments: apps)
    func appInfo(_ app: AppInfo) {
        var direct: [UInt8] = []
        app.write(into: &direct)
        var viaJSON: [UInt8] = []
        app.json.write(into: &viaJSON)
        #expect(direct == viaJSON, "\(String(decoding: direct, as: UTF8.self))")
    }

    static let ids: [JSONValue] = [nil, 0, -7, .integer(Int64.max), 2.5, "x", "a\"b\n"]

    @Test("response lines equal the encoding of the response object", arguments: ids)
    func responses(_ id: JSONValue) {
        let results: [JSONValue] = [nil, true, ["app": "a", "removed": true], [1, "two", ["x": nil]]]
        for result in results {
            let response = ControlResponse.success(id: id, result: result)
            #expect(response.line == Array((response.json.encoded() + "\n").utf8))
        }
        for text in Self.strings {
            let response = ControlResponse.failure(id: id, error: .notFound(text))
            #expect(response.line == Array((response.json.encoded() + "\n").utf8))
            let unknown = ControlResponse.failure(id: id, error: ControlError(.init(rawValue: text), "m"))
            #expect(unknown.line == Array((unknown.json.encoded() + "\n").utf8))
        }
    }

    @Test("successLine wraps an encoded result")
    func successLine() {
        let app = AppInfo(app: "a1", name: "Shop", webHead: .hostname("lb.example.net"), status: .online)
        var encoded: [UInt8] = []
        app.write(into: &encoded)
        let line = ControlResponse.successLine(id: 7, encodedResult: encoded)
        #expect(line == ControlResponse.success(id: 7, result: app.json).line)
        #expect(
            String(decoding: line, as: UTF8.self)
                == #"{"id":7,"ok":true,"result":{"app":"a1","name":"Shop","status":"online","#
                + #""web_head":{"hostname":"lb.example.net"}}}"# + "\n")
    }
}
