import FailoverControl
import Foundation
import Testing

extension Integration {
    /// What must survive a restart: tombstones and pending switches.
    @Suite struct ControlDurabilityTests {
        @Test("Deleted addresses are never reissued, before and after a restart")
        func tombstones() throws {
            let daemon = try DaemonProcess(zone: ControlZone.text, label: "ctl-tomb")
            defer { daemon.stop() }
            var client = try daemon.control()
            let count = 300
            var deleted: [String] = []
            let started = Date()
            for _ in 0..<count {
                let group = try client.call(op: .groupCreate)
                let address = try #require(group["address"]?.stringValue)
                #expect(!deleted.contains(address), "address \(address) handed out again")
                _ = try client.call(op: .groupDelete, args: ["address": .string(address)])
                deleted.append(address)
            }
            print("[control-tombstones] \(count) create+delete pairs in \(Int(Date().timeIntervalSince(started) * 1000)) ms")
            #expect(Set(deleted).count == count)

            func checkRefused(_ phase: String) throws {
                for address in deleted.prefix(3) + deleted.suffix(2) {
                    expectControlError("conflict", "\(phase): group.create at tombstone \(address)") {
                        try client.call(op: .groupCreate, args: ["address": .string(address)])
                    }
                    expectControlError("not_found", "\(phase): group.get of deleted \(address)") {
                        try client.call(op: .groupGet, args: ["address": .string(address)])
                    }
                }
                let export = try client.call(op: .export)
                let tombstones = export["tombstones"]?.arrayValue?.compactMap(\.stringValue) ?? []
                #expect(tombstones == deleted.sorted(), "\(phase): export lists \(tombstones.count) tombstones, \(count) deleted")
                #expect(export["groups"]?.arrayValue?.isEmpty == true)
                #expect(try client.call(op: .stats)["tombstones"]?.int64Value == Int64(count))
            }
            try checkRefused("before restart")

            try daemon.restart()
            client = try daemon.control()
            try checkRefused("after restart")

            // A fresh group at an explicit, never-used address works; new allocations avoid every tombstone.
            let tombstoneSet = Set(deleted)
            var fresh = "123-456-789"
            while tombstoneSet.contains(fresh) { fresh = String(format: "%03d-%03d-%03d", Int.random(in: 0..<1000), Int.random(in: 0..<1000), Int.random(in: 0..<1000)) }
            let explicit = try client.call(op: .groupCreate, args: ["address": .string(fresh)])
            #expect(explicit["address"]?.stringValue == fresh)
            expectControlError("conflict", "group.create at an address in use") {
                try client.call(op: .groupCreate, args: ["address": .string(fresh)])
            }
            for _ in 0..<100 {
                let address = try #require(try client.call(op: .groupCreate)["address"]?.stringValue)
                #expect(!tombstoneSet.contains(address), "allocated tombstoned address \(address)")
            }
        }

        @Test("A pending switch survives a restart and applies at its due time; one due while down applies at start-up")
        func pendingSwitchSurvivesRestart() throws {
            let daemon = try DaemonProcess(zone: ControlZone.text, label: "ctl-restart")
            defer { daemon.stop() }
            var client = try daemon.control()
            _ = try client.call(op: .appPut, args: ["app": "p", "name": "P", "web_head": ["addresses": ["192.0.2.1"]]])
            _ = try client.call(op: .appPut, args: ["app": "b", "name": "B", "web_head": ["addresses": ["192.0.2.2"]]])
            let address = try #require(try client.call(op: .groupCreate, args: ["primary": "p", "backup": "b"])["address"]?.stringValue)
            let name = "\(address).\(ControlZone.origin)."

            // Due in 3 s; restart (clean) well before.
            let scheduled = try client.call(op: .groupSwitch, args: ["address": .string(address), "to": "backup", "delay_seconds": 3])
            let pending = try #require(scheduled["group"]?["pending"])
            let due = try #require(pending["due"]?.stringValue.flatMap(RFC3339.milliseconds(from:)))
            let restartStarted = nowMilliseconds()
            try daemon.restart()
            client = try daemon.control()
            print("[control-restart] clean restart took \(nowMilliseconds() - restartStarted) ms; \(due - nowMilliseconds()) ms left before due")
            let afterRestart = try client.call(op: .groupGet, args: ["address": .string(address)])
            try #require(nowMilliseconds() < due, "the restart took past the due time; cannot check the pending state")
            #expect(afterRestart["pending"] == pending, "pending switch after restart: \(afterRestart)")
            #expect(afterRestart["active"] == "primary")
            #expect(answerField(try daemon.dig(name, "A"), "A", 4) == "192.0.2.1")
            let ttl = Int(answerField(try daemon.dig(name, "A"), "A", 1) ?? "") ?? -1
            #expect(ttl >= 1 && ttl <= 3, "TTL counts down to the due time after restart: \(ttl)")

            var appliedAt: Int64? = nil
            while nowMilliseconds() < due + 4000 {
                let sentAt = nowMilliseconds()
                if answerField(try daemon.dig(name, "A"), "A", 4) == "192.0.2.2" {
                    appliedAt = sentAt
                    break
                }
                usleep(10_000)
            }
            let applied = try #require(appliedAt, "the switch did not apply within 4 s of its due time after a restart")
            print("[control-restart] switch after restart: first new answer at due\(String(format: "%+d", Int(applied - due))) ms")
            #expect(applied >= due - 50)
            let group = try client.call(op: .groupGet, args: ["address": .string(address)])
            #expect(group["active"] == "backup" && group["pending"] == .null, "\(group)")

            // Due in 1 s, daemon killed for 2 s: the switch applies at start-up.
            let second = try client.call(op: .groupSwitch, args: ["address": .string(address), "to": "primary", "delay_seconds": 1])
            let secondDue = try #require(second["group"]?["pending"]?["due"]?.stringValue.flatMap(RFC3339.milliseconds(from:)))
            daemon.kill9()
            usleep(2_000_000)
            #expect(nowMilliseconds() > secondDue)
            try daemon.restart()
            client = try daemon.control()
            let atStart = try client.call(op: .groupGet, args: ["address": .string(address)])
            #expect(atStart["active"] == "primary", "a switch that fell due while down applies at start-up: \(atStart)")
            #expect(atStart["pending"] == .null)
            let reply = try daemon.dig(name, "A")
            #expect(answerField(reply, "A", 4) == "192.0.2.1", Comment(rawValue: reply.raw))
            #expect(answerField(reply, "A", 1) == "30", Comment(rawValue: reply.raw))
            #expect(try client.call(op: .appStatus, args: ["app": "p"])["status"] == "online")
        }
    }
}
