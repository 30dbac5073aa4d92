import FailoverControl
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// Every accepted change names the peer that made it: in one log line (uid, user, pid) and in the `by`
    /// member of its watch events, while `requested_by` stays the client's own label.
    @Suite struct AuditTests {
        @Test("Changes are logged and watched with the peer's uid, user and pid; the scheduler's own are not")
        func changesNameTheirPeer() throws {
            let daemon = try DaemonProcess(zone: ControlZone.text, label: "audit", logLevel: "info")
            defer { daemon.stop() }
            let watcher = try EventCollector(socketPath: daemon.controlSocket)
            defer { watcher.stop() }
            let client = try daemon.control()
            _ = try client.call(op: .appPut, args: ["app": "web", "name": "Shop", "web_head": ["hostname": "lb.example.net"]])
            _ = try client.call(op: .appPut, args: ["app": "dr", "name": "Shop DR", "web_head": ["hostname": "dr.example.net"]])
            let created = try client.call(op: .groupCreate, args: ["primary": "web", "backup": "dr"])
            let address = try #require(created["address"]?.stringValue)
            // Due in a second: the switch is scheduled by this client and done by the daemon.
            _ = try client.call(op: .groupSwitch, args: ["address": .string(address), "to": "backup", "delay_seconds": 1,
                                                        "requested_by": "ticket-42"])
            // A no-op changes nothing: no audit line, no event.
            _ = try client.call(op: .appPut, args: ["app": "web", "name": "Shop", "web_head": ["hostname": "lb.example.net"]])

            let uid = getuid()
            let pid = getpid()
            let user = try #require(getpwuid(uid).map { String(cString: $0.pointee.pw_name) })
            let expected: JSONValue = ["uid": .integer(Int64(uid)), "user": .string(user), "pid": .integer(Int64(pid))]
            #expect(watcher.wait(timeout: 10) { $0.contains { $0["event"] == "switch.done" } }, "\(watcher.events)")

            let changed = watcher.events("app.changed") + watcher.events("group.changed")
            #expect(changed.count == 3, "\(changed)")
            for event in changed { #expect(event["by"] == expected, "\(event)") }
            let scheduled = watcher.events("switch.scheduled", address: address)
            #expect(scheduled.count == 1 && scheduled.first?["by"] == expected, "\(scheduled)")
            #expect(scheduled.first?["requested_by"] == "ticket-42", "\(scheduled)")
            let done = watcher.events("switch.done", address: address)
            #expect(done.count == 1 && done.first?["by"] == nil, "a switch the daemon applied names no peer: \(done)")

            let lines = daemon.log().split(separator: "\n").filter { $0.contains("change by ") }
            let who = "change by \(user) (uid \(uid), pid \(pid)): "
            let summaries = ["app.put web", "app.put dr", "group.create \(address)",
                             "group.switch \(address) to backup in 1000 ms"]
            #expect(lines.count == summaries.count, "\(lines)")
            for (line, summary) in zip(lines, summaries) {
                #expect(line.contains(who + summary), "\(line)")
                // The journal fields, as the stream handler prints metadata.
                for field in ["uid=\(uid)", "user=\(user)", "pid=\(pid)"] { #expect(line.contains(field), "\(line)") }
            }
        }
    }
}
