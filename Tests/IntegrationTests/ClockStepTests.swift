import FailoverControl
import Foundation
import Testing

/// The daemon's CLOCK_REALTIME, stepped by the test through libfaketime
/// (Debian package libfaketime): an offset in a file the library re-reads on
/// every clock read. Monotonic clocks are left alone, as a real step would.
final class FakeClock {
    /// The synchronized build: the plain one parses the timestamp file into a static buffer
    /// without a lock, so a second thread reading the clock at the same moment can see no
    /// offset at all (a due time an hour off, seen once in a full parallel run).
    static let library = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"
    let folder: TemporaryFolder
    let file: String
    /// Seconds added to the real wall clock.
    private(set) var offset: Int64 = 0

    init() throws {
        guard FileManager.default.fileExists(atPath: Self.library) else {
            throw ClientError("no \(Self.library): install libfaketime (scripts/ensure-packages test)")
        }
        folder = try TemporaryFolder("faketime")
        file = try folder.write("faketime.rc", "+0\n")
    }

    /// The environment that puts a daemon on this clock. The file is read on
    /// every call (no cache), and monotonic clocks stay real: NIO timers and
    /// the daemon's own sleeps are not stepped, only the wall clock.
    ///
    /// FAKETIME_SHARED is preset. libfaketime's constructor creates a
    /// shared-memory segment and `setenv`s FAKETIME_SHARED to its names; a
    /// new variable moves `environ` to the heap before the Swift runtime
    /// reads the command line, and failoverd then sees no arguments at all
    /// and starts on its built-in defaults (port 5353, /var/lib/failoverd).
    /// An existing variable is replaced in place. The segment (named after
    /// the pid) is removed by libfaketime at a clean exit; `forget(pid:)`
    /// removes it after a SIGKILL.
    var environment: [String: String] {
        [
            "LD_PRELOAD": Self.library, "FAKETIME_TIMESTAMP_FILE": file, "FAKETIME_NO_CACHE": "1",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1", "FAKETIME_SHARED": "/failoverd-test-none /failoverd-test-none",
        ]
    }

    /// Steps the daemon's wall clock to real time + `seconds`. The file is
    /// replaced by rename, so the daemon never reads a half-written offset.
    func set(offset seconds: Int64) throws {
        _ = try folder.write("faketime.rc", (seconds >= 0 ? "+" : "") + "\(seconds)\n")
        offset = seconds
    }

    /// Removes the shared-memory files libfaketime made for `pid` (left behind when it is killed).
    func forget(pid: Int32) {
        for name in ["faketime_shm_\(pid)", "sem.faketime_sem_\(pid)"] {
            try? FileManager.default.removeItem(atPath: "/dev/shm/" + name)
        }
    }

    /// What the daemon reads as the wall clock now, in milliseconds.
    func now() -> Int64 { nowMilliseconds() + offset * 1000 }

    func remove() { folder.remove() }
}

extension Integration {
    /// The real failoverd with its wall clock stepped (libfaketime): a switch
    /// fires when the wall clock reaches its due time, neither at the old
    /// real-time instant after a step back nor late after a step forward; the
    /// TTL never exceeds the configured one; a restart keeps a pending switch.
    @Suite struct ClockStepTests {
        static let primary = "192.0.2.1"
        static let backup = "192.0.2.10"

        /// One dig, bracketed by the faked clock: asked at or after `sentAt`, answered by `doneAt`.
        struct Poll {
            var sentAt: Int64
            var doneAt: Int64
            var address: String?
            var ttl: Int?
            var raw: String
        }

        static func poll(_ daemon: DaemonProcess, _ name: String, clock: FakeClock) throws -> Poll {
            let sentAt = clock.now()
            let reply = try daemon.dig(name, "A")
            return Poll(
                sentAt: sentAt, doneAt: clock.now(), address: answerField(reply, "A", 4),
                ttl: answerField(reply, "A", 1).flatMap { Int($0) }, raw: reply.raw)
        }

        /// Polls until the answer is `address`; the first such poll, or nil after `timeout` real seconds.
        /// Every answer seen is checked against `check` (old address, TTL bounds).
        static func waitFor(
            _ address: String, _ daemon: DaemonProcess, _ name: String, clock: FakeClock,
            timeout: Double, check: (Poll) -> Void
        ) throws -> (first: Poll?, lastOther: Poll?) {
            let deadline = Date().addingTimeInterval(timeout)
            var lastOther: Poll? = nil
            while Date() < deadline {
                let answer = try poll(daemon, name, clock: clock)
                check(answer)
                if answer.address == address { return (answer, lastOther) }
                lastOther = answer
                usleep(20_000)
            }
            return (nil, lastOther)
        }

        static func due(_ result: JSONValue) throws -> Int64 {
            try #require(
                result["group"]?["pending"]?["due"]?.stringValue.flatMap(RFC3339.milliseconds(from:)),
                "no pending due time in \(result)")
        }

        @Test("Wall clock stepped forward past a due time, back with a switch pending, and a crash with one pending")
        func steppedClock() throws {
            let clock = try FakeClock()
            defer { clock.remove() }
            let daemon = try DaemonProcess(
                zone: ControlZone.text, extraConfig: "ttl: 30", environment: clock.environment,
                label: "clock-step")
            defer {
                let pid = daemon.pid
                daemon.stop()
                clock.forget(pid: pid)
            }
            let client = try daemon.control()
            let watcher = try EventCollector(socketPath: daemon.controlSocket)
            defer { watcher.stop() }
            _ = try client.call(
                op: .appPut, args: ["app": "web", "name": "Shop", "web_head": ["addresses": [.string(Self.primary)]]])
            _ = try client.call(
                op: .appPut, args: ["app": "dr", "name": "Shop DR", "web_head": ["addresses": [.string(Self.backup)]]])
            let created = try client.call(op: .groupCreate, args: ["primary": "web", "backup": "dr"])
            let address = try #require(created["address"]?.stringValue)
            let name = "\(address).\(ControlZone.origin)."
            var acknowledged: [(to: String, due: Int64)] = []
            // Every answer: TTL from 0 (the last two seconds, or once due) to the
            // configured 30, whatever the clock does.
            func ttlInRange(_ poll: Poll) {
                #expect(poll.ttl.map { $0 >= 0 && $0 <= 30 } == true, "TTL out of 0...30:\n\(poll.raw)")
            }

            // (a) Forward: a switch due in an hour; the clock jumps 10 s past it.
            let inAnHour = try client.call(
                op: .groupSwitch, args: ["address": .string(address), "to": "backup", "delay_seconds": 3600])
            let dueA = try Self.due(inAnHour)
            acknowledged.append(("backup", dueA))
            #expect(abs(dueA - (clock.now() + 3_600_000)) < 1000, "due \(dueA) is not the daemon's now + 1 h")
            var answer = try Self.poll(daemon, name, clock: clock)
            #expect(answer.address == Self.primary && answer.ttl == 30, Comment(rawValue: answer.raw))
            try clock.set(offset: 3610)
            let stepped = nowMilliseconds()
            let (servedA, _) = try Self.waitFor(Self.backup, daemon, name, clock: clock, timeout: 3, check: ttlInRange)
            let afterStep = try #require(servedA, "the backup was not served within 3 s of the clock jumping past due")
            print(
                "[clock-step] (a) +1 h 10 s jump past due: backup served \(afterStep.doneAt - clock.offset * 1000 - stepped) ms after the step"
            )

            // (b) Back: a switch due in 6 s, then the clock steps back 600 s. At the old
            // real-time instant (and 2 s beyond) the switch must not have fired.
            let soon = try client.call(
                op: .groupSwitch, args: ["address": .string(address), "to": "primary", "delay_seconds": 6])
            let dueB = try Self.due(soon)
            acknowledged.append(("primary", dueB))
            #expect(abs(dueB - (clock.now() + 6000)) < 1000, "due \(dueB) is not the daemon's (faked) now + 6 s")
            try clock.set(offset: 3010)
            let oldInstant = dueB - 3_610_000  // the real time at which dueB would have been reached without the step
            var polls = 0
            while nowMilliseconds() < oldInstant + 2000 {
                answer = try Self.poll(daemon, name, clock: clock)
                polls += 1
                #expect(
                    answer.address == Self.backup,
                    "the switch fired early, at its old real-time instant:\n\(answer.raw)")
                ttlInRange(answer)
                usleep(250_000)
            }
            #expect(answer.ttl == 30, "600 s before due the TTL is the configured 30:\n\(answer.raw)")
            print(
                "[clock-step] (b) 600 s step back: \(polls) polls up to 2 s past the old instant, all the backup, TTL <= 30"
            )
            // Forward again to 3 s before due: the TTL counts down on the faked clock, then the switch fires at due.
            try clock.set(offset: (dueB - 3000 - nowMilliseconds()) / 1000)
            answer = try Self.poll(daemon, name, clock: clock)
            #expect(answer.address == Self.backup && (answer.ttl ?? 99) <= 4, "3 s before due:\n\(answer.raw)")
            let (servedB, lastOld) = try Self.waitFor(
                Self.primary, daemon, name, clock: clock, timeout: 8, check: ttlInRange)
            let firstNew = try #require(servedB, "the switch back did not fire within 8 s")
            print(
                "[clock-step] (b) due reached on the faked clock: last old answer sent at due\(String(format: "%+d", Int((lastOld?.sentAt ?? 0) - dueB))) ms, first new answer by due\(String(format: "%+d", Int(firstNew.doneAt - dueB))) ms"
            )
            #expect(firstNew.doneAt >= dueB, "the switch was served \(dueB - firstNew.doneAt) ms before its due time")
            #expect(
                firstNew.doneAt - dueB < 2000, "the switch was served \(firstNew.doneAt - dueB) ms after its due time")
            watcher.wait { $0.filter { $0["event"] == "switch.done" }.count >= 2 }
            let done = watcher.events("switch.done", address: address)
            #expect(done.count == 2, "switch.done events: \(done)")
            for (event, switched) in zip(done, acknowledged) {
                let at = try #require(event["at"]?.stringValue.flatMap(RFC3339.milliseconds(from:)))
                #expect(event["to"]?.stringValue == switched.to && at >= switched.due, "\(event) due \(switched.due)")
            }

            // (c) A switch pending across a crash (SIGKILL) and a restart keeps its due time,
            // and fires when the clock jumps past it.
            let pending = try client.call(
                op: .groupSwitch, args: ["address": .string(address), "to": "backup", "delay_seconds": 600])
            let dueC = try Self.due(pending)
            acknowledged.append(("backup", dueC))
            client.close()
            let killed = daemon.pid
            daemon.kill9()
            clock.forget(pid: killed)
            try daemon.restart()
            let again = try daemon.control()
            let group = try again.call(op: .groupGet, args: ["address": .string(address)])
            #expect(group["active"] == "primary")
            #expect(group["pending"]?["to"] == "backup")
            #expect(
                group["pending"]?["due"]?.stringValue.flatMap(RFC3339.milliseconds(from:)) == dueC,
                "the pending switch after the restart: \(group)")
            answer = try Self.poll(daemon, name, clock: clock)
            #expect(answer.address == Self.primary && answer.ttl == 30, Comment(rawValue: answer.raw))
            try clock.set(offset: clock.offset + 605)
            let (servedC, _) = try Self.waitFor(Self.backup, daemon, name, clock: clock, timeout: 3, check: ttlInRange)
            #expect(servedC != nil, "the switch kept across the restart was not served within 3 s of its due time")
            let final = try again.call(op: .groupGet, args: ["address": .string(address)])
            #expect(final["active"] == "backup" && final["pending"] == .null, "\(final)")
            print(
                "[clock-step] (c) pending switch kept across SIGKILL + restart; \(acknowledged.count) acknowledged switches all applied"
            )
        }
    }
}
