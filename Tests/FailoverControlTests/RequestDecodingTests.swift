import Testing

@testable import FailoverControl

@Suite("Request decoding")
struct RequestDecodingTests {
    struct Good: Sendable, CustomTestStringConvertible {
        var line: String
        var id: JSONValue
        var command: ControlCommand
        var testDescription: String { line }
    }

    static let good: [Good] = [
        Good(line: #"{"id":1,"op":"hello"}"#, id: 1, command: .hello(HelloArgs())),
        Good(
            line: #"{"id":1,"op":"hello","args":{"protocol":1}}"#, id: 1, command: .hello(HelloArgs(protocolVersion: 1))
        ),
        Good(line: #"{"op":"hello","args":{}}"#, id: nil, command: .hello(HelloArgs())),
        Good(line: #"{"id":"abc","op":"app.list","args":null}"# + "\r\n", id: "abc", command: .appList),
        Good(line: #"  {"id":2.5,"op":"stats"}  "#, id: .number(2.5), command: .stats),
        Good(
            line:
                #"{"id":3,"op":"app.put","args":{"app":"a1","name":"Shop","web_head":{"hostname":"lb.example.net"}}}"#,
            id: 3, command: .appPut(AppPutArgs(app: "a1", name: "Shop", webHead: .hostname("lb.example.net")))),
        Good(
            line:
                #"{"id":4,"op":"app.put","args":{"app":"a1","name":"S","web_head":{"addresses":["192.0.2.1","::1"]}}}"#,
            id: 4, command: .appPut(AppPutArgs(app: "a1", name: "S", webHead: .addresses(["192.0.2.1", "::1"])))),
        Good(
            line: #"{"id":5,"op":"app.put","args":{"app":"a1","name":"S","web_head":null}}"#,
            id: 5, command: .appPut(AppPutArgs(app: "a1", name: "S", webHead: nil))),
        Good(
            line: #"{"id":6,"op":"app.remove","args":{"app":"a1"}}"#, id: 6, command: .appRemove(AppIDArgs(app: "a1"))),
        Good(line: #"{"id":7,"op":"app.get","args":{"app":"a1"}}"#, id: 7, command: .appGet(AppIDArgs(app: "a1"))),
        Good(
            line: #"{"id":8,"op":"app.status","args":{"app":"a1"}}"#, id: 8, command: .appStatus(AppIDArgs(app: "a1"))),
        Good(line: #"{"id":9,"op":"group.create"}"#, id: 9, command: .groupCreate(GroupCreateArgs())),
        Good(
            line: #"{"id":10,"op":"group.create","args":{"address":"414-262-781","primary":"a1","backup":null}}"#,
            id: 10, command: .groupCreate(GroupCreateArgs(address: "414-262-781", primary: "a1"))),
        Good(
            line:
                #"{"id":11,"op":"group.update","args":{"address":"414-262-781","primary":"a2","backup":null,"if_version":3}}"#,
            id: 11,
            command: .groupUpdate(
                GroupUpdateArgs(address: "414-262-781", primary: .set("a2"), backup: .clear, ifVersion: 3))),
        Good(
            line: #"{"id":12,"op":"group.switch","args":{"address":"414-262-781","to":"backup"}}"#,
            id: 12, command: .groupSwitch(GroupSwitchArgs(address: "414-262-781", to: .backup))),
        Good(
            line:
                #"{"id":13,"op":"group.switch","args":{"address":"414-262-781","to":"primary","delay_seconds":1.5,"requested_by":"ops"}}"#,
            id: 13,
            command: .groupSwitch(
                GroupSwitchArgs(address: "414-262-781", to: .primary, delaySeconds: 1.5, requestedBy: "ops"))),
        Good(
            line:
                #"{"id":14,"op":"group.switch","args":{"address":"414-262-781","to":"primary","delay_seconds":0,"requested_by":null}}"#,
            id: 14, command: .groupSwitch(GroupSwitchArgs(address: "414-262-781", to: .primary, delaySeconds: 0))),
        Good(
            line: #"{"id":15,"op":"group.cancel","args":{"address":"1"}}"#, id: 15,
            command: .groupCancel(GroupAddressArgs(address: "1"))),
        Good(
            line: #"{"id":16,"op":"group.delete","args":{"address":"1"}}"#, id: 16,
            command: .groupDelete(GroupAddressArgs(address: "1"))),
        Good(
            line: #"{"id":17,"op":"group.get","args":{"address":"1"}}"#, id: 17,
            command: .groupGet(GroupAddressArgs(address: "1"))),
        Good(line: #"{"id":18,"op":"group.list"}"#, id: 18, command: .groupList),
        Good(line: #"{"id":19,"op":"export"}"#, id: 19, command: .export),
        Good(line: #"{"id":20,"op":"watch"}"#, id: 20, command: .watch),
        Good(line: #"{"id":21,"op":"reload"}"#, id: 21, command: .reload),
    ]

    @Test("valid lines decode to commands", arguments: good)
    func decodesGood(_ example: Good) throws {
        let (id, command) = try ControlRequest.decodeCommand(line: Array(example.line.utf8))
        #expect(id == example.id)
        #expect(command == example.command)
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var line: String
        var code: ControlError.Code
        var id: JSONValue
        /// A fragment the message must contain.
        var mentions: String
        var testDescription: String { line }
    }

    static let bad: [Bad] = [
        Bad(line: "", code: .badRequest, id: nil, mentions: "not valid JSON"),
        Bad(line: "hello", code: .badRequest, id: nil, mentions: "not valid JSON"),
        Bad(line: #"{"id":1,"op":"hello""#, code: .badRequest, id: nil, mentions: "not valid JSON"),
        Bad(line: "[1,2]", code: .badRequest, id: nil, mentions: "must be a JSON object, got array"),
        Bad(line: #""hello""#, code: .badRequest, id: nil, mentions: "got string"),
        Bad(line: #"{"id":{"a":1},"op":"hello"}"#, code: .badRequest, id: nil, mentions: "\"id\" must be"),
        Bad(line: #"{"id":[1],"op":"hello"}"#, code: .badRequest, id: nil, mentions: "\"id\" must be"),
        Bad(line: #"{"id":1}"#, code: .unknownOp, id: 1, mentions: "no \"op\""),
        Bad(line: #"{"id":"x","op":"group.frobnicate"}"#, code: .unknownOp, id: "x", mentions: "group.frobnicate"),
        Bad(line: #"{"id":2,"op":7}"#, code: .badRequest, id: 2, mentions: "\"op\" must be a string"),
        Bad(
            line: #"{"id":3,"op":"hello","args":[]}"#, code: .badRequest, id: 3, mentions: "\"args\" must be an object"),
        Bad(
            line: #"{"id":4,"op":"hello","arg":{}}"#, code: .badRequest, id: 4,
            mentions: "unknown request field \"arg\""),
        Bad(line: #"{"id":5,"op":"stats","args":{"x":1}}"#, code: .badRequest, id: 5, mentions: "takes no arguments"),
        Bad(
            line: #"{"id":5,"op":"hello","args":{"protocol":2}}"#, code: .badRequest, id: 5,
            mentions: "protocol 2 is not supported"),
        Bad(
            line: #"{"id":5,"op":"hello","args":{"protocol":"1"}}"#, code: .badRequest, id: 5,
            mentions: "non-negative integer"),
        Bad(
            line: #"{"id":6,"op":"app.put","args":{"app":"a","name":"n"}}"#, code: .badRequest, id: 6,
            mentions: "missing required argument \"web_head\""),
        Bad(
            line: #"{"id":7,"op":"app.put","args":{"app":1,"name":"n","web_head":null}}"#, code: .badRequest, id: 7,
            mentions: "\"app\" must be a string, got integer"),
        Bad(
            line: #"{"id":8,"op":"app.put","args":{"app":"a","name":"n","web_head":"lb"}}"#, code: .badRequest, id: 8,
            mentions: "\"web_head\" must be an object or null, got string"),
        Bad(
            line: #"{"id":9,"op":"app.put","args":{"app":"a","name":"n","web_head":{}}}"#, code: .badRequest, id: 9,
            mentions: "must have \"hostname\" or \"addresses\""),
        Bad(
            line: #"{"id":10,"op":"app.put","args":{"app":"a","name":"n","web_head":{"hostname":"x","addresses":[]}}}"#,
            code: .badRequest, id: 10, mentions: "not both"),
        Bad(
            line: #"{"id":11,"op":"app.put","args":{"app":"a","name":"n","web_head":{"addresses":["1.2.3.4",5]}}}"#,
            code: .badRequest, id: 11, mentions: "web_head.addresses[1]\" must be a string, got integer"),
        Bad(
            line: #"{"id":12,"op":"app.put","args":{"app":"a","name":"n","web_head":{"host":"x"}}}"#,
            code: .badRequest, id: 12, mentions: "unknown field \"host\""),
        Bad(
            line: #"{"id":13,"op":"app.get","args":{"app":null}}"#, code: .badRequest, id: 13,
            mentions: "\"app\" must be a string, got null"),
        Bad(
            line: #"{"id":14,"op":"app.get"}"#, code: .badRequest, id: 14, mentions: "missing required argument \"app\""
        ),
        Bad(
            line: #"{"id":15,"op":"group.update","args":{"adress":"1"}}"#, code: .badRequest, id: 15,
            mentions: "unknown argument \"adress\"; expected: address, primary, backup, if_version"),
        Bad(
            line: #"{"id":16,"op":"group.update","args":{"address":"1","primary":5}}"#, code: .badRequest, id: 16,
            mentions: "\"primary\" must be a string (set) or null (clear), got integer"),
        Bad(
            line: #"{"id":17,"op":"group.update","args":{"address":"1","if_version":"3"}}"#, code: .badRequest,
            id: 17, mentions: "\"if_version\" must be a non-negative integer, got string"),
        Bad(
            line: #"{"id":18,"op":"group.update","args":{"address":"1","if_version":-1}}"#, code: .badRequest,
            id: 18, mentions: "non-negative integer"),
        Bad(
            line: #"{"id":19,"op":"group.update","args":{"address":"1","if_version":2.5}}"#, code: .badRequest,
            id: 19, mentions: "got number"),
        Bad(
            line: #"{"id":20,"op":"group.switch","args":{"address":"1","to":"secondary"}}"#, code: .badRequest,
            id: 20, mentions: "must be \"primary\" or \"backup\", got \"secondary\""),
        Bad(
            line: #"{"id":21,"op":"group.switch","args":{"address":"1"}}"#, code: .badRequest, id: 21,
            mentions: "missing required argument \"to\""),
        Bad(
            line: #"{"id":22,"op":"group.switch","args":{"address":"1","to":"backup","delay_seconds":"90"}}"#,
            code: .badRequest, id: 22, mentions: "\"delay_seconds\" must be a number, got string"),
        Bad(
            line: #"{"id":23,"op":"group.switch","args":{"address":"1","to":"backup","requested_by":1}}"#,
            code: .badRequest, id: 23, mentions: "\"requested_by\" must be a string or null"),
        Bad(
            line: #"{"id":24,"op":"group.create","args":{"primary":["a"]}}"#, code: .badRequest, id: 24,
            mentions: "group.create: argument \"primary\""),
        Bad(line: #"{"id":25,"op":"group.get","args":{}}"#, code: .badRequest, id: 25, mentions: "\"address\""),
        Bad(line: #"{"id":26,"op":"HELLO"}"#, code: .unknownOp, id: 26, mentions: "HELLO"),
        Bad(line: #"{"id":27,"op":"hello","id":28}"#, code: .badRequest, id: nil, mentions: "duplicate key"),
    ]

    @Test("invalid lines are refused with a stable code, echoing the id when readable", arguments: bad)
    func refusesBad(_ example: Bad) {
        do {
            let decoded = try ControlRequest.decodeCommand(line: Array(example.line.utf8))
            Issue.record("decoded \(decoded) from \(example.line)")
        } catch {
            #expect(error.error.code == example.code)
            #expect(error.id == example.id)
            #expect(error.error.message.contains(example.mentions), "message: \(error.error.message)")
            #expect(error.response.id == example.id)
        }
    }

    @Test("a line over the limit is too_large")
    func oversize() throws {
        let padding = String(repeating: "x", count: ControlRequest.maximumLineLength)
        let line = Array(#"{"id":1,"op":"app.get","args":{"app":"\#(padding)"}}"#.utf8)
        #expect(
            throws: ControlRequest.Rejection(
                id: nil,
                error: .tooLarge(
                    "request line of \(line.count + 1) bytes exceeds the limit of \(ControlRequest.maximumLineLength)"))
        ) {
            try ControlRequest(line: line)
        }
        let justFits =
            Array(repeating: UInt8(ascii: " "), count: ControlRequest.maximumLineLength - 20)
            + Array(#"{"op":"hello"}"#.utf8) + [UInt8(ascii: "\n")]
        #expect(justFits.count <= ControlRequest.maximumLineLength)
        #expect(try ControlRequest(line: justFits).operation == .hello)
    }

    @Test("field updates: absent keeps, null clears, a string sets")
    func fieldUpdates() throws {
        let keep = try GroupUpdateArgs(["address": "1"], for: .groupUpdate)
        #expect(keep.primary == .keep && keep.backup == .keep && keep.ifVersion == nil)
        let clear = try GroupUpdateArgs(["address": "1", "primary": nil, "if_version": nil], for: .groupUpdate)
        #expect(clear.primary == .clear && clear.backup == .keep && clear.ifVersion == nil)
        let set = try GroupUpdateArgs(["address": "1", "backup": "a2", "if_version": 0], for: .groupUpdate)
        #expect(set.backup == .set("a2") && set.primary == .keep && set.ifVersion == 0)
        #expect(ControlFieldChange<String>.keep.applied(to: "a") == "a")
        #expect(ControlFieldChange<String>.clear.applied(to: "a") == nil)
        #expect(ControlFieldChange.set("b").applied(to: "a") == "b")
        #expect(ControlFieldChange.set("b").applied(to: nil) == "b")
    }

    @Test("commands re-encode to requests that decode to the same command", arguments: good)
    func roundTrip(_ example: Good) throws {
        let line = ControlRequest(id: example.id, command: example.command).line
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().contains(UInt8(ascii: "\n")) == false)
        let (id, command) = try ControlRequest.decodeCommand(line: line)
        #expect(id == example.id)
        #expect(command == example.command)
    }

    @Test("request encoding is canonical")
    func requestEncoding() {
        let update = ControlRequest(
            id: 7, command: .groupUpdate(GroupUpdateArgs(address: "004-262-781", primary: .clear, backup: .set("b"))))
        #expect(
            String(decoding: update.line, as: UTF8.self)
                == #"{"args":{"address":"004-262-781","backup":"b","primary":null},"id":7,"op":"group.update"}"# + "\n")
        #expect(
            String(decoding: ControlRequest(id: "a", command: .hello(HelloArgs())).line, as: UTF8.self)
                == #"{"id":"a","op":"hello"}"# + "\n")
    }

    @Test("every operation of SPEC.md is known by its wire name")
    func operations() {
        let names = [
            "hello", "app.put", "app.remove", "app.get", "app.list", "app.status", "app.report_health", "group.create",
            "group.update",
            "group.switch", "group.cancel", "group.delete", "group.get", "group.list", "export", "watch", "stats",
            "reload",
        ]
        #expect(ControlOperation.allCases.map(\.name) == names)
    }
}
