import Testing

@testable import FailoverControl

/// The health fields of app.put, group.create and group.update, and app.report_health: types checked,
/// unknown fields refused, and a round trip through the request line.
@Suite struct HealthArgsTests {
    func decode(_ line: String) throws -> ControlCommand {
        try ControlRequest.decodeCommand(line: Array(line.utf8)).command
    }

    @Test func appPutWithHealthCheck() throws {
        let command = try decode(
            #"{"op":"app.put","args":{"app":"a","name":"A","web_head":{"addresses":["127.0.0.2"]},"#
                + #""health_check":{"type":"http","port":8080,"path":"/health","interval_seconds":1,"fall":2,"insecure":false}}}"#)
        guard case .appPut(let args) = command else { Issue.record("not app.put"); return }
        #expect(args.healthCheck == HealthCheckArg(type: "http", port: 8080, path: "/health", intervalSeconds: 1,
                                                   fall: 2, insecure: false))
        let again = try decode(String(decoding: ControlRequest(id: 1, command: command).line.dropLast(), as: UTF8.self))
        #expect(again == command)
    }

    @Test func badHealthFieldsAreRefused() {
        let bad = [
            #"{"op":"app.put","args":{"app":"a","name":"A","web_head":null,"health_check":{"port":80}}}"#,
            #"{"op":"app.put","args":{"app":"a","name":"A","web_head":null,"health_check":{"type":"http","prot":80}}}"#,
            #"{"op":"app.put","args":{"app":"a","name":"A","web_head":null,"health_check":{"type":"http","port":-1}}}"#,
            #"{"op":"app.put","args":{"app":"a","name":"A","web_head":null,"health_check":{"type":"http","insecure":"yes"}}}"#,
            #"{"op":"app.put","args":{"app":"a","name":"A","web_head":null,"health_check":"http"}}"#,
            #"{"op":"group.create","args":{"auto_failover":"true"}}"#,
            #"{"op":"group.create","args":{"failback":"sometimes"}}"#,
            #"{"op":"group.update","args":{"address":"100-000-001","min_switch_interval_seconds":1.5}}"#,
            #"{"op":"app.report_health","args":{"app":"a","checker":"x","state":"sideways"}}"#,
            #"{"op":"app.report_health","args":{"app":"a","state":"up"}}"#,
        ]
        for line in bad {
            #expect(throws: ControlRequest.Rejection.self, "\(line)") { try decode(line) }
        }
    }

    @Test func groupPolicyAndReport() throws {
        let create = try decode(#"{"op":"group.create","args":{"primary":"a","auto_failover":true,"failback":"auto","failback_after_seconds":5}}"#)
        guard case .groupCreate(let args) = create else { Issue.record("not group.create"); return }
        #expect(args.policy == GroupPolicyArgs(autoFailover: true, failback: "auto", failbackAfterSeconds: 5))
        let report = try decode(#"{"op":"app.report_health","args":{"app":"a","checker":"eu-1","state":"down","ttl_seconds":9}}"#)
        #expect(report == .appReportHealth(ReportHealthArgs(app: "a", checker: "eu-1", state: "down", ttlSeconds: 9)))
    }
}
