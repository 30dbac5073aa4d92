import DNSWire
import FailoverControl
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// The state directory on a small tmpfs that runs full: mutations are refused cleanly, DNS keeps
    /// answering, and everything works again once space is back.
    @Suite struct DiskFullTests {
        static let tmpfsSize = "256k"
        /// Bytes left free after the filler: room for a few large journal records.
        static let slack = 12 * 1024

        @Test("A full state directory refuses mutations with unavailable, changes nothing, keeps DNS up, recovers")
        func fullDiskRefusesCleanly() throws {
            let daemon = try DaemonProcess(zone: TestZone.text, label: "diskfull")
            defer { daemon.stop() }
            // Stop the daemon, put a tmpfs over its state directory, start it again on the empty mount.
            daemon.kill9()
            let state = daemon.stateDirectory
            let mount = try FaultSupport.run("/usr/bin/env", ["mount", "-t", "tmpfs", "-o", "size=\(Self.tmpfsSize)", "tmpfs", state])
            guard mount.status == 0 else {
                Issue.record("""
                    cannot mount a tmpfs on \(state) (exit \(mount.status): \(mount.output)); this test must run \
                    as root (CI does), e.g. sudo swift test --filter DiskFullTests
                    """)
                return
            }
            // Runs before daemon.stop(): the daemon must be gone before the unmount.
            defer {
                daemon.kill9()
                let unmount = try? FaultSupport.run("/usr/bin/env", ["umount", state])
                if unmount?.status != 0 { Issue.record("cannot unmount \(state): \(unmount?.output ?? "?")") }
            }
            try daemon.restart()
            let socket = daemon.controlSocket
            let client = try ControlClient(socketPath: socket, timeout: 10)
            defer { client.close() }

            func app(_ id: String) -> [String: JSONValue] {
                // About 1 KiB of journal record: a 200-character name and 16 addresses.
                let block = String(id.utf8.reduce(0) { $0 &+ Int($1) }, radix: 16)
                let addresses: [JSONValue] = (1...16).map { .string("2001:db8:\(block)::\($0)") }
                return ["app": .string(id), "name": .string(String(repeating: "n", count: 190) + id.suffix(10)),
                        "web_head": ["addresses": .array(addresses)]]
            }
            var acknowledged: [String] = []
            var failed: [String] = []
            for id in ["base-primary", "base-backup"] {
                _ = try client.call(op: .appPut, args: app(id))
                acknowledged.append(id)
            }
            let group = try client.call(op: .groupCreate, args: ["primary": "base-primary", "backup": "base-backup"])
            let address = try #require(group["address"]?.stringValue)

            // Fill the mount, leaving `slack` bytes.
            let filler = state + "/filler"
            var info = statvfs()
            #expect(statvfs(state, &info) == 0)
            let free = Int(info.f_bavail) * Int(info.f_bsize)
            let fillerSize = max(0, free - Self.slack)
            try FaultSupport.run("/usr/bin/env", ["dd", "if=/dev/zero", "of=\(filler)", "bs=1024", "count=\(fillerSize / 1024)"])
            #expect(statvfs(state, &info) == 0)
            let left = Int(info.f_bavail) * Int(info.f_bsize)
            #expect(left <= Self.slack + 4096, "the filler left \(left) bytes free on \(state)")

            func soaAnswered(_ when: String) {
                do {
                    let reply = try ask(QuerySpec(name: TestZone.origin, type: .soa, id: 0x5A5A), at: daemon.ipv4)
                    #expect(reply.responseCode == .noError && reply.answers.count == 1, "SOA \(when): \(reply.summary)")
                } catch {
                    Issue.record("no SOA answer \(when): \(error)\n\(daemon.log())")
                }
            }

            // Mutations until one fails.
            var firstFailure: ControlError? = nil
            var index = 0
            while firstFailure == nil && index < 300 {
                let id = "fill-\(index)"
                index += 1
                switch FaultSupport.send(client, .appPut, app(id)) {
                case .acknowledged: acknowledged.append(id)
                case .refused(let error):
                    failed.append(id)
                    firstFailure = error
                case .unknown(let reason):
                    Issue.record("app.put \(id) got no answer on a full disk: \(reason)\n\(daemon.log())")
                    return
                }
                if index % 4 == 0 { soaAnswered("while filling (after \(index) puts)") }
            }
            let failure = try #require(firstFailure, "300 app.puts of ~1 KiB all succeeded with \(Self.slack) bytes free")
            #expect(failure.code == .unavailable, "a write that cannot be made durable is refused as unavailable: \(failure)")
            #expect(failure.message.contains("No space left on device"), "the message names the cause: \(failure.message)")
            #expect(!failure.message.isEmpty)
            soaAnswered("right after the failed write")

            // More attempts while full: a switch and a few puts; each either acknowledged or refused with unavailable.
            var switched: Bool? = nil
            switch FaultSupport.send(client, .groupSwitch, ["address": .string(address), "to": "backup", "delay_seconds": 0]) {
            case .acknowledged: switched = true
            case .refused(let error):
                #expect(error.code == .unavailable, "group.switch on a full disk: \(error)")
                switched = false
            case .unknown(let reason): Issue.record("group.switch got no answer on a full disk: \(reason)")
            }
            for extra in 0..<5 {
                let id = "full-\(extra)"
                switch FaultSupport.send(client, .appPut, app(id)) {
                case .acknowledged: acknowledged.append(id)
                case .refused(let error):
                    #expect(error.code == .unavailable, "app.put on a full disk: \(error)")
                    failed.append(id)
                case .unknown(let reason): Issue.record("app.put \(id) got no answer on a full disk: \(reason)")
                }
            }
            soaAnswered("after more failed writes")
            #expect(daemon.isRunning, "failoverd died on a full disk\n\(daemon.log())")

            func checkExport(_ when: String) throws {
                let export = try FaultSupport.export(socket)
                let apps = FaultSupport.apps(export)
                for id in acknowledged where apps[id] == nil {
                    Issue.record("\(when): acknowledged app \(id) is missing")
                }
                for id in failed where apps[id] != nil {
                    Issue.record("\(when): app \(id), whose app.put failed, is present: \(apps[id]!)")
                }
                let exported = FaultSupport.groups(export)[address]
                if let switched {
                    #expect(exported?["active"]?.stringValue == (switched ? "backup" : "primary"),
                            "\(when): group.switch was \(switched ? "acknowledged" : "refused"); group is \(String(describing: exported))")
                }
                for text in FaultSupport.invariantProblems(export) { Issue.record("\(when): \(text)") }
            }
            try checkExport("on the full disk")

            // Space back: mutations succeed again.
            try FileManager.default.removeItem(atPath: filler)
            for extra in 0..<5 {
                let id = "after-\(extra)"
                do {
                    _ = try client.call(op: .appPut, args: app(id))
                    acknowledged.append(id)
                } catch {
                    Issue.record("app.put \(id) after freeing space failed: \(error)\n\(daemon.log())")
                }
            }
            if switched == false {
                let result = try client.call(op: .groupSwitch, args: ["address": .string(address), "to": "backup", "delay_seconds": 0])
                #expect(result["outcome"]?.stringValue == "applied", "\(result)")
                switched = true
            }
            try checkExport("after freeing space")

            // What a restart loads: every acknowledged change, nothing that failed.
            try daemon.restart()
            try checkExport("after a restart")
            daemon.kill9()
            try daemon.restart()
            try checkExport("after a SIGKILL and restart")

            print("""
                DiskFullTests: \(acknowledged.count) app.puts acknowledged, \(failed.count) refused \
                (first after \(index - 1) puts with \(left) bytes free: \(failure))
                """)
        }
    }
}
