import Testing

@testable import FailoverControl

@Suite("Encoding golden lines")
struct EncodingGoldenTests {
    /// 2026-11-27T22:00:00.000Z
    static let due: Int64 = 1_795_816_800_000
    static let pending = PendingInfo(to: .backup, due: due, requestedAt: due - 120_000, requestedBy: "ops")
    static let group = GroupInfo(
        address: "414-262-781", name: "414-262-781.cloud66.net.", primary: "app1", backup: "app2", active: .primary,
        pending: pending, version: 3, created: due - 3_600_000, updated: due - 120_000)
    static let groupLine =
        #"{"active":"primary","address":"414-262-781","backup":"app2","created":"2026-11-27T21:00:00.000Z","#
        + #""name":"414-262-781.cloud66.net.","pending":{"due":"2026-11-27T22:00:00.000Z","#
        + #""requested_at":"2026-11-27T21:58:00.000Z","requested_by":"ops","to":"backup"},"primary":"app1","#
        + #""updated":"2026-11-27T21:58:00.000Z","version":3}"#

    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test("success and failure responses")
    func responses() {
        #expect(
            text(ControlResponse.success(id: 7, result: ["x": 1]).line) == #"{"id":7,"ok":true,"result":{"x":1}}"#
                + "\n")
        #expect(
            text(ControlResponse.failure(id: "a", error: .notFound("no group 414-262-781")).line)
                == #"{"error":{"code":"not_found","message":"no group 414-262-781"},"id":"a","ok":false}"# + "\n")
        #expect(
            text(ControlRequest.Rejection(id: nil, error: .badRequest("x")).response.line)
                == #"{"error":{"code":"bad_request","message":"x"},"id":null,"ok":false}"# + "\n")
    }

    @Test("daemon-side framing: an oversized line gets too_large, the next line is served")
    func daemonFraming() throws {
        var framer = ControlLineFramer(maximumLineLength: ControlRequest.maximumLineLength)
        framer.append(Array(repeating: UInt8(ascii: "x"), count: ControlRequest.maximumLineLength + 10))
        framer.append(Array("\n{\"id\":2,\"op\":\"stats\"}\n".utf8))
        #expect(framer.next() == .tooLarge)
        #expect(
            text(ControlRequest.Rejection.lineTooLarge.response.line)
                == #"{"error":{"code":"too_large","message":"request line exceeds the limit of 65536 bytes"},"#
                + #""id":null,"ok":false}"# + "\n")
        guard case .line(let line)? = framer.next() else {
            Issue.record("no line after the oversized one")
            return
        }
        #expect(try ControlRequest.decodeCommand(line: line) == (2, .stats))
        #expect(framer.next() == nil)
    }

    @Test("responses decode back")
    func responsesDecode() throws {
        let success = ControlResponse.success(id: 7, result: ["x": 1])
        #expect(ControlMessage(line: success.line.dropLast()) == .response(success))
        let failure = ControlResponse.failure(id: 8, error: .inUse("app1 is used by 414-262-781"))
        #expect(ControlMessage(line: failure.line) == .response(failure))
        #expect(throws: ControlError.inUse("app1 is used by 414-262-781")) { try failure.get() }
        #expect(ControlMessage(line: Array(#"{"id":1}"#.utf8)) == nil)
    }

    @Test("group and pending")
    func groupShape() {
        #expect(Self.group.json.encoded() == Self.groupLine)
        #expect(GroupInfo(json: Self.group.json) == Self.group)
        var bare = Self.group
        bare.pending = nil
        bare.backup = nil
        #expect(bare.json.encoded().contains(#""backup":null"#))
        #expect(bare.json.encoded().contains(#""pending":null"#))
        #expect(GroupInfo(json: bare.json) == bare)
    }

    @Test("app, app status, hello, stats")
    func otherShapes() {
        let app = AppInfo(
            app: "app1", name: "Shop", webHead: .addresses(["192.0.2.1", "2001:db8::1"]), status: .online)
        #expect(
            app.json.encoded()
                == #"{"app":"app1","name":"Shop","status":"online","web_head":{"addresses":["192.0.2.1","2001:db8::1"]}}"#
        )
        #expect(AppInfo(json: app.json) == app)
        let bare = AppInfo(app: "app3", name: "Staging", webHead: nil, status: .none)
        #expect(bare.json.encoded() == #"{"app":"app3","name":"Staging","status":"none","web_head":null}"#)
        #expect(AppInfo(json: bare.json) == bare)

        let status = AppStatusInfo(
            app: "app1", status: .online,
            groups: [
                .init(address: "500-000-000", role: .backup, active: false),
                .init(address: "414-262-781", role: .primary, active: true),
            ])
        #expect(
            status.json.encoded()
                == #"{"app":"app1","groups":[{"active":true,"address":"414-262-781","role":"primary"},"#
                + #"{"active":false,"address":"500-000-000","role":"backup"}],"status":"online"}"#)
        #expect(AppStatusInfo(json: status.json) == status)

        let hello = HelloInfo(version: "0.1.0", zone: "cloud66.net.", serial: 42, ops: ["hello", "watch"])
        #expect(
            hello.json.encoded()
                == #"{"ops":["hello","watch"],"protocol":1,"serial":42,"server":"failoverd","version":"0.1.0","zone":"cloud66.net."}"#
        )
        #expect(HelloInfo(json: hello.json) == hello)
        #expect(HelloInfo(version: "0", zone: "z.", serial: 0).ops.count == ControlOperation.allCases.count)

        let stats = StatsInfo(
            serial: 42, apps: 2, groups: 1, pending: 1, tombstones: 0, connections: 1, watchers: 0,
            started: Self.due - 3_600_500, now: Self.due, counters: ["dns.queries": 10])
        #expect(
            stats.json.encoded()
                == #"{"apps":2,"connections":1,"counters":{"dns.queries":10},"groups":1,"pending":1,"serial":42,"#
                + #""started":"2026-11-27T20:59:59.500Z","tombstones":0,"uptime_seconds":3600,"watchers":0}"#)
    }

    @Test("switch, cancel, export and small results")
    func results() {
        #expect(
            SwitchResult(group: Self.group, outcome: .scheduled).json.encoded()
                == #"{"group":\#(Self.groupLine),"outcome":"scheduled"}"#)
        #expect(SwitchResult(json: SwitchResult(group: Self.group, outcome: .applied).json)?.outcome == .applied)
        #expect(
            CancelResult(group: Self.group, cancelled: false).json.encoded()
                == #"{"cancelled":false,"group":\#(Self.groupLine)}"#)
        #expect(ControlResults.appRemoved("app1").encoded() == #"{"app":"app1","removed":true}"#)
        #expect(ControlResults.groupDeleted("414-262-781").encoded() == #"{"address":"414-262-781","deleted":true}"#)
        #expect(ControlResults.watching(serial: 9).encoded() == #"{"serial":9,"watching":true}"#)
        #expect(ControlResults.groupList([]).encoded() == #"{"groups":[]}"#)
        let export = ExportInfo(
            zone: "cloud66.net.", serial: 5, exportedAt: Self.due, apps: [], groups: [],
            tombstones: ["900-000-000", "100-000-000"])
        #expect(
            export.json.encoded()
                == #"{"apps":[],"exported_at":"2026-11-27T22:00:00.000Z","groups":[],"serial":5,"#
                + #""tombstones":["100-000-000","900-000-000"],"zone":"cloud66.net."}"#)
    }

    @Test("events")
    func events() {
        let at = Self.due
        #expect(
            text(ControlEvent.switchScheduled(Self.group, at: at - 120_000).line)
                == #"{"address":"414-262-781","at":"2026-11-27T21:58:00.000Z","due":"2026-11-27T22:00:00.000Z","#
                + #""event":"switch.scheduled","group":\#(Self.groupLine),"requested_by":"ops","to":"backup"}"# + "\n")
        var done = Self.group
        done.active = .backup
        done.pending = nil
        let doneLine = ControlEvent.switchDone(done, from: .primary, at: at).json.encoded()
        #expect(
            doneLine.hasPrefix(
                #"{"address":"414-262-781","at":"2026-11-27T22:00:00.000Z","event":"switch.done","from":"primary","group":{"#
            ))
        #expect(doneLine.hasSuffix(#"},"to":"backup"}"#))
        #expect(
            ControlEvent.switchCancelled(Self.group, to: .backup, reason: .alreadyActive, at: at).json.encoded()
                == #"{"address":"414-262-781","at":"2026-11-27T22:00:00.000Z","event":"switch.cancelled","#
                + #""group":\#(Self.groupLine),"reason":"already_active","to":"backup"}"#)
        #expect(
            ControlEvent.groupChanged(address: "414-262-781", change: .deleted, group: nil, at: at).json.encoded()
                == #"{"address":"414-262-781","at":"2026-11-27T22:00:00.000Z","change":"deleted","event":"group.changed","group":null}"#
        )
        #expect(
            ControlEvent.appChanged(
                app: "app1", change: .updated,
                info: AppInfo(app: "app1", name: "S", webHead: .hostname("lb.example.net"), status: .offline),
                at: at
            ).json.encoded()
                == #"{"app":"app1","at":"2026-11-27T22:00:00.000Z","change":"updated","event":"app.changed","#
                + #""info":{"app":"app1","name":"S","status":"offline","web_head":{"hostname":"lb.example.net"}}}"#)
        let status = ControlEvent.statusChanged(app: "app2", status: .online, previous: .offline, at: at)
        #expect(
            status.json.encoded()
                == #"{"app":"app2","at":"2026-11-27T22:00:00.000Z","event":"status.changed","previous":"offline","status":"online"}"#
        )
        #expect(ControlMessage(line: status.line) == .event(status))
        let reserved = ControlEvent(name: "x", at: 0, fields: ["event": "spoof", "at": "spoof"])
        #expect(reserved.json.encoded() == #"{"at":"1970-01-01T00:00:00.000Z","event":"x"}"#)
    }
}
