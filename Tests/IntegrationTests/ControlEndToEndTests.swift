import FailoverControl
import Foundation
import Testing

extension Integration {
    /// A failover group driven through the real control socket and checked with dig.
    @Suite struct ControlEndToEndTests {
        @Test("Group lifecycle: CNAME, read-your-writes, delayed switch with TTL countdown, events, status, delete, serial, if_version, cancel")
        func groupLifecycle() throws {
            let daemon = try DaemonProcess(zone: ControlZone.text, extraConfig: "ttl: 30\nswitch-delay: 30",
                                           label: "ctl-e2e")
            defer { daemon.stop() }
            let client = try daemon.control()
            let watcher = try EventCollector(socketPath: daemon.controlSocket)
            defer { watcher.stop() }

            // Each committed change must raise the served SOA serial.
            var lastSerial = try daemon.servedSerial()
            #expect(lastSerial == ControlZone.fileSerial, "a fresh state serves the zone file's serial")
            func expectSerialGrew(_ step: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
                let serial = try daemon.servedSerial()
                #expect(serial > lastSerial, "SOA serial after \(step): \(serial), before \(lastSerial)",
                        sourceLocation: sourceLocation)
                lastSerial = serial
            }

            _ = try client.call(op: .appPut, args: ["app": "web", "name": "Shop", "web_head": ["hostname": "lb1.example.net"]])
            try expectSerialGrew("app.put web")
            _ = try client.call(op: .appPut, args: [
                "app": "dr", "name": "Shop DR", "web_head": ["addresses": ["192.0.2.10", "2001:db8::10"]],
            ])
            try expectSerialGrew("app.put dr")
            let created = try client.call(op: .groupCreate, args: ["primary": "web", "backup": "dr"])
            try expectSerialGrew("group.create")
            let address = try #require(created["address"]?.stringValue)
            #expect(address.wholeMatch(of: /[0-9]{3}-[0-9]{3}-[0-9]{3}/) != nil, "address \(address)")
            let name = "\(address).\(ControlZone.origin)."
            #expect(created["name"]?.stringValue == name)
            #expect(created["active"] == "primary")
            #expect(created["version"] == 1)
            #expect(created["pending"] == .null)

            // The primary's hostname, TTL as configured.
            var reply = try daemon.dig(name, "A")
            #expect(reply.status == "NOERROR" && reply.aa, Comment(rawValue: reply.raw))
            #expect(answerField(reply, "CNAME", 4) == "lb1.example.net.", Comment(rawValue: reply.raw))
            #expect(answerField(reply, "CNAME", 1) == "30", Comment(rawValue: reply.raw))

            // Read-your-writes: the answer right after the ack shows the new hostname.
            _ = try client.call(op: .appPut, args: ["app": "web", "name": "Shop", "web_head": ["hostname": "lb2.example.net"]])
            reply = try daemon.dig(name, "A")
            #expect(answerField(reply, "CNAME", 4) == "lb2.example.net.", Comment(rawValue: "right after app.put ack\n" + reply.raw))
            try expectSerialGrew("app.put web (new hostname)")

            #expect(try client.call(op: .appStatus, args: ["app": "web"])["status"] == "online")
            #expect(try client.call(op: .appStatus, args: ["app": "dr"])["status"] == "offline")

            // if_version mismatch: conflict, nothing changes.
            let before = try client.call(op: .groupGet, args: ["address": .string(address)])
            expectControlError("conflict", "group.update with a stale if_version") {
                try client.call(op: .groupUpdate, args: ["address": .string(address), "backup": "dr", "if_version": 99])
            }
            #expect(try client.call(op: .groupGet, args: ["address": .string(address)]) == before)

            // Switch to backup in 2 s.
            let switched = try client.call(op: .groupSwitch, args: [
                "address": .string(address), "to": "backup", "delay_seconds": 2, "requested_by": "e2e",
            ])
            try expectSerialGrew("group.switch scheduled")
            #expect(switched["outcome"] == "scheduled")
            let pending = try #require(switched["group"]?["pending"])
            #expect(pending["to"] == "backup")
            #expect(pending["requested_by"] == "e2e")
            let due = try #require(pending["due"]?.stringValue.flatMap(RFC3339.milliseconds(from:)))
            #expect(abs(due - (nowMilliseconds() + 2000)) < 1000, "due \(due) is about now + 2 s")
            #expect(switched["group"]?["active"] == "primary")

            // Before due: the old answer, with TTL counting down to the due time.
            let askedAt = nowMilliseconds()
            reply = try daemon.dig(name, "A")
            let wholeSecondsLeft = Int((due - askedAt) / 1000)
            #expect(answerField(reply, "CNAME", 4) == "lb2.example.net.", Comment(rawValue: reply.raw))
            let pendingTTL = Int(answerField(reply, "CNAME", 1) ?? "") ?? -1
            #expect(pendingTTL >= 0 && pendingTTL <= max(0, wholeSecondsLeft - 1),
                    "TTL \(pendingTTL) while \(due - askedAt) ms are left\n\(reply.raw)")
            #expect(try client.call(op: .appStatus, args: ["app": "web"])["status"] == "online")
            #expect(try client.call(op: .appStatus, args: ["app": "dr"])["status"] == "offline")

            // After due: the backup's A record. Poll up to 4 s past due and time the change.
            // dig takes a few ms to start, so each poll is bracketed: sent at or after `sentAt`,
            // answered by `doneAt`. The switch happened after the last old answer's `sentAt`
            // and before the first new answer's `doneAt`.
            var lastOld: (sentAt: Int64, doneAt: Int64)? = nil
            var firstNew: (sentAt: Int64, doneAt: Int64)? = nil
            var newReply: DigReply? = nil
            while nowMilliseconds() < due + 4000 {
                let sentAt = nowMilliseconds()
                let poll = try daemon.dig(name, "A")
                let doneAt = nowMilliseconds()
                if let address = answerField(poll, "A", 4) {
                    #expect(address == "192.0.2.10", Comment(rawValue: poll.raw))
                    firstNew = (sentAt, doneAt)
                    newReply = poll
                    break
                }
                #expect(answerField(poll, "CNAME", 4) == "lb2.example.net.", Comment(rawValue: poll.raw))
                lastOld = (sentAt, doneAt)
                usleep(5_000)
            }
            let changed = try #require(firstNew, "the backup's answer did not appear within 4 s of the due time")
            func relative(_ at: Int64?) -> String { at.map { String(format: "%+d", Int($0 - due)) } ?? "?" }
            print("[control-e2e] switch due at \(RFC3339.string(fromMilliseconds: due)): last old answer polled in [due\(relative(lastOld?.sentAt)), due\(relative(lastOld?.doneAt))] ms, first new answer in [due\(relative(changed.sentAt)), due\(relative(changed.doneAt))] ms")
            #expect(changed.doneAt >= due, "the backup answered \(due - changed.doneAt) ms before the due time")
            #expect(changed.doneAt - due < 1500, "the switch applied \(changed.doneAt - due) ms after its due time")
            #expect(answerField(newReply!, "A", 1) == "30", "no longer pending: TTL back to 30\n\(newReply!.raw)")
            #expect(newReply!.answers(ofType: "CNAME").isEmpty)
            let aaaa = try daemon.dig(name, "AAAA")
            #expect(answerField(aaaa, "AAAA", 4) == "2001:db8::10", Comment(rawValue: aaaa.raw))
            try expectSerialGrew("switch applied")

            #expect(try client.call(op: .appStatus, args: ["app": "web"])["status"] == "offline")
            #expect(try client.call(op: .appStatus, args: ["app": "dr"])["status"] == "online")
            let afterSwitch = try client.call(op: .groupGet, args: ["address": .string(address)])
            #expect(afterSwitch["active"] == "backup")
            #expect(afterSwitch["pending"] == .null)

            // The watcher saw the switch scheduled, then done, and both status changes.
            watcher.wait { events in
                events.contains { $0["event"] == "switch.done" }
                    && events.filter { $0["event"] == "status.changed" }.count >= 2
            }
            let names = watcher.events.compactMap { $0["event"]?.stringValue }
            let scheduledIndex = names.firstIndex(of: "switch.scheduled")
            let doneIndex = names.firstIndex(of: "switch.done")
            #expect(scheduledIndex != nil && doneIndex != nil && scheduledIndex! < doneIndex!, "events: \(names)")
            if let done = watcher.events("switch.done", address: address).first {
                #expect(done["from"] == "primary" && done["to"] == "backup", "\(done)")
                #expect(done["group"]?["active"] == "backup")
                if let at = done["at"]?.stringValue.flatMap(RFC3339.milliseconds(from:)) {
                    print("[control-e2e] switch.done event at due\(String(format: "%+d", Int(at - due))) ms")
                    #expect(at >= due, "switch.done at \(at) before due \(due)")
                }
            }
            if let scheduled = watcher.events("switch.scheduled", address: address).first {
                #expect(scheduled["to"] == "backup" && scheduled["requested_by"] == "e2e", "\(scheduled)")
                #expect(scheduled["due"] == pending["due"])
            }
            let statusChanges = watcher.events("status.changed")
            #expect(statusChanges.contains { $0["app"] == "web" && $0["status"] == "offline" && $0["previous"] == "online" },
                    "status.changed: \(statusChanges)")
            #expect(statusChanges.contains { $0["app"] == "dr" && $0["status"] == "online" && $0["previous"] == "offline" },
                    "status.changed: \(statusChanges)")

            // A pending switch back, then cancel: TTL returns to the configured 30.
            let back = try client.call(op: .groupSwitch, args: ["address": .string(address), "to": "primary", "delay_seconds": 10])
            #expect(back["outcome"] == "scheduled")
            try expectSerialGrew("group.switch scheduled (back)")
            reply = try daemon.dig(name, "A")
            let countdown = Int(answerField(reply, "A", 1) ?? "") ?? -1
            #expect(countdown >= 1 && countdown <= 9, "TTL while a switch is due in 10 s: \(countdown)\n\(reply.raw)")
            let cancelled = try client.call(op: .groupCancel, args: ["address": .string(address)])
            #expect(cancelled["cancelled"] == true)
            #expect(cancelled["group"]?["pending"] == .null)
            #expect(cancelled["group"]?["active"] == "backup")
            try expectSerialGrew("group.cancel")
            reply = try daemon.dig(name, "A")
            #expect(answerField(reply, "A", 1) == "30", "TTL after cancel\n\(reply.raw)")
            #expect(answerField(reply, "A", 4) == "192.0.2.10")
            watcher.wait { $0.contains { $0["event"] == "switch.cancelled" } }
            #expect(watcher.events("switch.cancelled", address: address).first?["reason"] == "requested")
            let again = try client.call(op: .groupCancel, args: ["address": .string(address)])
            #expect(again["cancelled"] == false)

            // Delete: refused while apps are set, accepted once both are cleared.
            let serialBeforeRefusal = try daemon.servedSerial()
            expectControlError("in_use", "group.delete of a group holding apps") {
                try client.call(op: .groupDelete, args: ["address": .string(address)])
            }
            #expect(try daemon.servedSerial() == serialBeforeRefusal, "a refused request changes nothing")
            let versionBefore = try #require(try client.call(op: .groupGet, args: ["address": .string(address)])["version"]?.int64Value)
            let cleared = try client.call(op: .groupUpdate, args: [
                "address": .string(address), "primary": .null, "backup": .null, "if_version": .integer(versionBefore),
            ])
            #expect(cleared["primary"] == .null && cleared["backup"] == .null)
            #expect(cleared["version"]?.int64Value == versionBefore + 1)
            try expectSerialGrew("group.update clearing both apps")
            #expect(try client.call(op: .appStatus, args: ["app": "web"])["status"] == "none")
            reply = try daemon.dig(name, "A")
            #expect(reply.status == "NOERROR" && reply.answer.isEmpty, "a group without apps answers NODATA\n\(reply.raw)")
            let deleted = try client.call(op: .groupDelete, args: ["address": .string(address)])
            #expect(deleted["deleted"] == true)
            try expectSerialGrew("group.delete")
            reply = try daemon.dig(name, "A")
            #expect(reply.status == "NXDOMAIN", Comment(rawValue: reply.raw))
            expectControlError("not_found", "group.get after delete") {
                try client.call(op: .groupGet, args: ["address": .string(address)])
            }
        }
    }
}
