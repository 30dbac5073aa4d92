import TestSupport
import FailoverControl
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// Client threads stream mutations while the daemon is killed with SIGKILL at random moments and
    /// restarted; after every restart `export` must hold every acknowledged effect.
    @Suite struct CrashTests {
        static let seed: UInt64 = 0xC0A5_4ED_5EED
        static let threads = 4
        static let appsPerThread = 4
        static let maxGroupsPerThread = 10
        static let minimumAcknowledged = 2_000
        static let minimumKills = 20
        /// Kills aimed for (the test needs `minimumKills`; more while time allows).
        static let targetKills = 30
        /// Stop killing after this long even if the targets are not met (the test then fails on them).
        static let timeBudget: TimeInterval = 50

        @Test("SIGKILL at random moments under concurrent mutations loses no acknowledged change")
        func killsLoseNothingAcknowledged() throws {
            // Compaction every 150 records, so many kills land during or around one.
            let daemon = try DaemonProcess(zone: TestZone.text, extraConfig: "compact-after: 150", label: "crash")
            defer { daemon.stop() }
            let socket = daemon.controlSocket
            let coordinator = CrashCoordinator()
            var workers: [CrashWorker] = []

            // Apps exist before the clients start, so every thread always has apps to use.
            let setup = try ControlClient(socketPath: socket, timeout: 10)
            for thread in 0..<Self.threads {
                let worker = CrashWorker(index: thread, seed: Self.seed, socket: socket, coordinator: coordinator)
                for app in worker.appIDs {
                    let head: JSONValue = ["hostname": .string("lb0.\(app).example.net")]
                    let result = try setup.call(op: .appPut, args: ["app": .string(app), "name": .string(app), "web_head": head])
                    #expect(result["web_head"] == head, "app.put echoes the web head as sent: \(result)")
                    worker.apps[app] = CrashWorker.AppTrack(acknowledged: head, unknown: [])
                }
                workers.append(worker)
            }
            setup.close()

            let checker = CrashChecker(workers: workers)
            let started = Date()
            for worker in workers {
                Thread.detachNewThread { worker.run() }
            }

            var random = SeededRandom(seed: Self.seed)
            var kills = 0
            var checks = 0
            while Date().timeIntervalSince(started) < Self.timeBudget,
                kills < Self.targetKills || coordinator.acknowledged < Self.minimumAcknowledged
            {
                usleep(UInt32.random(in: 50_000...1_100_000, using: &random))
                daemon.kill9()
                kills += 1
                coordinator.pause()
                coordinator.waitIdle()
                do {
                    try daemon.restart()
                } catch {
                    coordinator.finish()
                    coordinator.waitFinished(workers.count)
                    Issue.record("restart after kill \(kills) failed: \(error)")
                    return
                }
                let export = try FaultSupport.export(socket)
                checker.check(export, after: "kill \(kills)")
                checks += 1
                coordinator.resume()
                if checker.problems.count > 30 { break }
            }
            coordinator.finish()
            coordinator.waitFinished(workers.count)

            // A last clean check with no client running.
            daemon.kill9()
            try daemon.restart()
            checker.check(try FaultSupport.export(socket), after: "the final restart")
            checks += 1

            let elapsed = Date().timeIntervalSince(started)
            var byOperation: [String: Int] = [:]
            for worker in workers { byOperation.merge(worker.acknowledgedByOperation, uniquingKeysWith: +) }
            let operations = byOperation.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let summary = """
                CrashTests: \(coordinator.acknowledged) mutations acknowledged, \(kills) SIGKILLs, \
                \(coordinator.unknown) unknown-outcome, \(coordinator.refusedUnavailable) refused unavailable, \
                \(coordinator.connectFailures) failed connects, \(checks) export checks, \
                \(checker.adoptedOrphans) groups from unknown creates, \(checker.appliedSwitchesSeen) switches applied by \
                the scheduler, \(checker.verifiedPending) still-pending switches verified with their due time, \
                \(checker.verifiedGroups) group and \(checker.verifiedApps) app checks, \
                in \(String(format: "%.1f", elapsed)) s (seed \(Self.seed)); acknowledged: \(operations)
                """
            print(summary)
            let problems = checker.problems + workers.flatMap(\.problems)
            #expect(problems.isEmpty, Comment(rawValue: summary + "\n" + problems.prefix(30).joined(separator: "\n") + "\n" + daemon.log()))
            #expect(kills >= Self.minimumKills, Comment(rawValue: summary))
            // compact-after: 150 took effect: the state went through checkpoints, not one long journal.
            #expect(FileManager.default.fileExists(atPath: daemon.stateDirectory + "/checkpoint"),
                    "no checkpoint was ever written: compact-after was not applied")
            #expect(coordinator.acknowledged >= Self.minimumAcknowledged, Comment(rawValue: summary))
        }
    }
}

/// Pauses the client threads around a kill/restart/check and counts outcomes.
final class CrashCoordinator: @unchecked Sendable {
    private let condition = NSCondition()
    private var paused = false
    private var stopped = false
    private var inFlight = 0
    private var finished = 0
    private(set) var acknowledged = 0
    private(set) var unknown = 0
    private(set) var refusedUnavailable = 0
    private(set) var connectFailures = 0

    /// Waits while paused; false once stopped. A true return must be followed by ``end(_:)``.
    func begin() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while paused && !stopped { condition.wait() }
        if stopped { return false }
        inFlight += 1
        return true
    }

    enum Tally { case acknowledged, unknown, unavailable, connectFailed, none }

    func end(_ tally: Tally) {
        condition.lock()
        switch tally {
        case .acknowledged: acknowledged += 1
        case .unknown: unknown += 1
        case .unavailable: refusedUnavailable += 1
        case .connectFailed: connectFailures += 1
        case .none: break
        }
        inFlight -= 1
        condition.broadcast()
        condition.unlock()
    }

    func pause() {
        condition.lock()
        paused = true
        condition.unlock()
    }

    /// Waits until no client is in a request (they fail fast once the daemon is dead).
    func waitIdle() {
        condition.lock()
        while inFlight > 0 { condition.wait() }
        condition.unlock()
    }

    func resume() {
        condition.lock()
        paused = false
        condition.broadcast()
        condition.unlock()
    }

    func finish() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    func threadFinished() {
        condition.lock()
        finished += 1
        condition.broadcast()
        condition.unlock()
    }

    func waitFinished(_ count: Int) {
        condition.lock()
        while finished < count { condition.wait() }
        condition.unlock()
    }
}

/// One client thread: its own apps and groups, so what it knows about them is exact.
///
/// Its state is touched by its thread only between ``CrashCoordinator/begin()`` and ``CrashCoordinator/end(_:)``,
/// and by the checker only while every thread is paused outside those.
final class CrashWorker: @unchecked Sendable {
    struct AppTrack {
        /// The web head of the last acknowledged app.put (as the daemon echoed it).
        var acknowledged: JSONValue
        /// Web heads sent by later app.puts whose outcome is unknown.
        var unknown: [JSONValue]
    }

    struct GroupTrack {
        /// The group as the last acknowledged response (or a post-restart export) showed it; nil when the
        /// group's creation itself is of unknown outcome.
        var baseline: JSONValue?
        /// An operation of unknown outcome followed the baseline.
        var uncertain = false
        /// That operation was a delete.
        var maybeDeleted = false
    }

    let index: Int
    let socket: String
    let coordinator: CrashCoordinator
    let appIDs: [String]
    var apps: [String: AppTrack] = [:]
    var groups: [String: GroupTrack] = [:]
    /// Acknowledged deletes.
    var deleted: Set<String> = []
    /// group.create without an address, outcome unknown, since the last check.
    var unknownCreates = 0
    var problems: [String] = []
    /// Acknowledged mutations by operation name.
    var acknowledgedByOperation: [String: Int] = [:]
    private var random: SeededRandom
    private var client: ControlClient?
    private var nextAddress = 1
    private var counter = 0

    init(index: Int, seed: UInt64, socket: String, coordinator: CrashCoordinator) {
        self.index = index
        self.socket = socket
        self.coordinator = coordinator
        self.random = SeededRandom(seed: seed ^ (UInt64(index + 1) &* 0x9E37_79B9))
        appIDs = (0..<Integration.CrashTests.appsPerThread).map { "t\(index)-app\($0)" }
    }

    func run() {
        defer { coordinator.threadFinished() }
        while coordinator.begin() {
            let tally = step()
            coordinator.end(tally)
            if tally == .connectFailed { usleep(10_000) }
            if problems.count > 20 { break }
        }
        client?.close()
    }

    /// Connects if needed, then sends one mutation and records its effect.
    private func step() -> CrashCoordinator.Tally {
        if client == nil {
            do {
                client = try ControlClient(socketPath: socket, timeout: 5)
            } catch {
                return .connectFailed
            }
        }
        guard let client else { return .connectFailed }
        let (op, args, record) = chooseMutation()
        let outcome = FaultSupport.send(client, op, args)
        switch outcome {
        case .acknowledged(let result):
            record(.acknowledged(result))
            acknowledgedByOperation[op.name, default: 0] += 1
            return .acknowledged
        case .refused(let error):
            if error.code == .unavailable { return .unavailable }
            problems.append("thread \(index): \(op.name) \(JSONValue.object(args)) refused unexpectedly: \(error)")
            return .none
        case .unknown(let reason):
            self.client?.close()
            self.client = nil
            record(.unknown(reason))
            return .unknown
        }
    }

    private typealias Recorder = (FaultSupport.Outcome) -> Void

    /// Picks a mutation that must succeed given what this thread knows.
    private func chooseMutation() -> (ControlOperation, [String: JSONValue], Recorder) {
        counter += 1
        let certain = groups.filter { !$0.value.uncertain && $0.value.baseline != nil }.keys.sorted()
        let roll = Int.random(in: 0..<100, using: &random)
        if roll < 35 || certain.isEmpty && groups.count >= Integration.CrashTests.maxGroupsPerThread {
            return appPut()
        }
        if roll < 47 || certain.isEmpty {
            if groups.count < Integration.CrashTests.maxGroupsPerThread { return groupCreate() }
            return appPut()
        }
        let address = certain.randomElement(using: &random)!
        let group = groups[address]!.baseline!
        if roll < 62 { return groupUpdate(address, group) }
        if roll < 84 {
            if let switchRequest = groupSwitch(address, group) { return switchRequest }
            return groupUpdate(address, group)
        }
        if roll < 92 { return groupCancel(address) }
        return groupDelete(address, group)
    }

    private func appPut() -> (ControlOperation, [String: JSONValue], Recorder) {
        let app = appIDs.randomElement(using: &random)!
        let head: JSONValue
        switch Int.random(in: 0..<10, using: &random) {
        case 0: head = .null
        case 1...5: head = ["hostname": .string("lb\(counter).\(app).example.net")]
        default:
            head = ["addresses": [.string("192.0.2.\(counter % 250 + 1)"), .string("2001:db8::\(String(counter, radix: 16))")]]
        }
        return (.appPut, ["app": .string(app), "name": .string(app), "web_head": head], { [self] outcome in
            switch outcome {
            case .acknowledged(let result):
                apps[app] = AppTrack(acknowledged: result["web_head"] ?? .null, unknown: [])
            case .unknown:
                apps[app]?.unknown.append(head)
            case .refused:
                break
            }
        })
    }

    private func ownApps(count: Int) -> [String?] {
        var pool = appIDs.shuffled(using: &random)
        return (0..<count).map { _ in
            if Bool.random(using: &random) || pool.isEmpty { return nil }
            return pool.removeFirst()
        }
    }

    private func groupCreate() -> (ControlOperation, [String: JSONValue], Recorder) {
        let picked = ownApps(count: 2)
        var args: [String: JSONValue] = ["primary": JSONValue(picked[0]), "backup": JSONValue(picked[1])]
        var fixed: String? = nil
        if Bool.random(using: &random) {
            // Thread-private address space: 9T0-NNN-NNN.
            let number = nextAddress
            nextAddress += 1
            let digits = String(format: "9%ld0%06ld", index, number)
            let address = "\(digits.prefix(3))-\(digits.dropFirst(3).prefix(3))-\(digits.suffix(3))"
            fixed = address
            args["address"] = .string(address)
        }
        return (.groupCreate, args, { [self] outcome in
            switch outcome {
            case .acknowledged(let group):
                guard let address = group["address"]?.stringValue else {
                    problems.append("thread \(index): group.create answered without an address: \(group)")
                    return
                }
                if let fixed, fixed != address {
                    problems.append("thread \(index): group.create asked for \(fixed) and got \(address)")
                }
                groups[address] = GroupTrack(baseline: group)
            case .unknown:
                if let fixed {
                    groups[fixed] = GroupTrack(baseline: nil, uncertain: true)
                } else {
                    unknownCreates += 1
                }
            case .refused:
                break
            }
        })
    }

    private func groupUpdate(_ address: String, _ group: JSONValue) -> (ControlOperation, [String: JSONValue], Recorder) {
        var args: [String: JSONValue] = ["address": .string(address)]
        let primary = group["primary"]?.stringValue
        let backup = group["backup"]?.stringValue
        switch Int.random(in: 0..<4, using: &random) {
        case 0:
            // Set the primary to another of our apps (never the backup), or clear it.
            let choices = appIDs.filter { $0 != backup && $0 != primary }
            args["primary"] = Bool.random(using: &random) ? JSONValue(choices.randomElement(using: &random)) : .null
        case 1:
            let choices = appIDs.filter { $0 != primary && $0 != backup }
            args["backup"] = Bool.random(using: &random) ? JSONValue(choices.randomElement(using: &random)) : .null
        case 2:
            args["primary"] = .null
            args["backup"] = .null
        default:
            let picked = appIDs.shuffled(using: &random)
            args["primary"] = .string(picked[0])
            args["backup"] = .string(picked[1])
        }
        return (.groupUpdate, args, groupRecorder(address, key: nil))
    }

    private func groupSwitch(_ address: String, _ group: JSONValue) -> (ControlOperation, [String: JSONValue], Recorder)? {
        let roles = ["primary", "backup"].filter { group[$0]?.stringValue != nil }
        guard let to = roles.randomElement(using: &random) else { return nil }
        let delay: Double
        switch Int.random(in: 0..<10, using: &random) {
        case 0: delay = 0
        case 1...4: delay = Double(Int.random(in: 200...3_000, using: &random)) / 1_000
        default: delay = Double(Int.random(in: 60...3_600, using: &random))
        }
        let args: [String: JSONValue] = [
            "address": .string(address), "to": .string(to), "delay_seconds": .number(delay),
            "requested_by": .string("thread-\(index)"),
        ]
        return (.groupSwitch, args, groupRecorder(address, key: "group"))
    }

    private func groupCancel(_ address: String) -> (ControlOperation, [String: JSONValue], Recorder) {
        (.groupCancel, ["address": .string(address)], groupRecorder(address, key: "group"))
    }

    private func groupDelete(_ address: String, _ group: JSONValue) -> (ControlOperation, [String: JSONValue], Recorder) {
        if group["primary"]?.stringValue != nil || group["backup"]?.stringValue != nil {
            // Empty it first; a later pick deletes it.
            return (.groupUpdate, ["address": .string(address), "primary": .null, "backup": .null],
                    groupRecorder(address, key: nil))
        }
        return (.groupDelete, ["address": .string(address)], { [self] outcome in
            switch outcome {
            case .acknowledged(let result):
                if result["deleted"]?.boolValue != true || result["address"]?.stringValue != address {
                    problems.append("thread \(index): group.delete \(address) answered \(result)")
                }
                groups[address] = nil
                deleted.insert(address)
            case .unknown:
                groups[address]?.uncertain = true
                groups[address]?.maybeDeleted = true
            case .refused:
                break
            }
        })
    }

    /// Records a group result: `key` names the member holding the group (nil: the result is the group).
    private func groupRecorder(_ address: String, key: String?) -> Recorder {
        { [self] outcome in
            switch outcome {
            case .acknowledged(let result):
                let group = key.map { result[$0] ?? .null } ?? result
                guard group["address"]?.stringValue == address else {
                    problems.append("thread \(index): a mutation of \(address) answered \(result)")
                    return
                }
                groups[address] = GroupTrack(baseline: group)
            case .unknown:
                groups[address]?.uncertain = true
            case .refused:
                break
            }
        }
    }
}

/// Compares each post-restart export with what the threads were acknowledged, then adopts the export as the
/// threads' new knowledge (it is what was loaded from disk, so it is durable).
final class CrashChecker {
    let workers: [CrashWorker]
    private(set) var problems: [String] = []
    private(set) var adoptedOrphans = 0
    private(set) var appliedSwitchesSeen = 0
    private(set) var verifiedPending = 0
    private(set) var verifiedGroups = 0
    private(set) var verifiedApps = 0
    private var lastSerial: Int64 = 0

    init(workers: [CrashWorker]) { self.workers = workers }

    private func problem(_ text: String) {
        if problems.count < 200 { problems.append(text) }
    }

    /// The members compared between an acknowledged group and the exported one (`updated` is compared
    /// separately: it moves when the scheduler applies a switch).
    private static let compared = ["address", "name", "primary", "backup", "active", "pending", "version", "created"]

    func check(_ export: JSONValue, after moment: String) {
        let groups = FaultSupport.groups(export)
        let apps = FaultSupport.apps(export)
        let tombstones = FaultSupport.tombstones(export)
        let exportedAt = export["exported_at"]?.stringValue ?? ""
        for text in FaultSupport.invariantProblems(export) { problem("after \(moment): \(text)") }
        let serial = export["serial"]?.int64Value ?? -1
        if serial < lastSerial { problem("after \(moment): serial went back from \(lastSerial) to \(serial)") }
        lastSerial = serial

        var tracked: Set<String> = []
        var unknownCreates = 0
        for worker in workers {
            for (id, track) in worker.apps.sorted(by: { $0.key < $1.key }) {
                guard let app = apps[id] else {
                    problem("after \(moment): acknowledged app \(id) is missing")
                    continue
                }
                let head = app["web_head"] ?? .null
                if head != track.acknowledged && !track.unknown.contains(head) {
                    problem("""
                        after \(moment): app \(id) has web head \(head); the last acknowledged app.put set \
                        \(track.acknowledged), later unknown-outcome puts sent \(track.unknown)
                        """)
                }
                verifiedApps += 1
                worker.apps[id] = .init(acknowledged: head, unknown: [])
            }
            for (address, track) in worker.groups.sorted(by: { $0.key < $1.key }) {
                let found = groups[address]
                if track.uncertain {
                    if let found {
                        if let baseline = track.baseline,
                            (found["version"]?.int64Value ?? 0) < (baseline["version"]?.int64Value ?? 0)
                        {
                            problem("after \(moment): group \(address) version went back: acknowledged \(baseline), now \(found)")
                        }
                        worker.groups[address] = .init(baseline: found)
                        tracked.insert(address)
                    } else if track.baseline == nil || track.maybeDeleted {
                        worker.groups[address] = nil
                        if track.maybeDeleted {
                            if tombstones.contains(address) {
                                worker.deleted.insert(address)
                            } else {
                                problem("after \(moment): group \(address) is gone but not tombstoned")
                            }
                        }
                    } else {
                        problem("after \(moment): acknowledged group \(address) is missing (last acknowledged \(track.baseline!))")
                        worker.groups[address] = nil
                    }
                    continue
                }
                guard let baseline = track.baseline else { continue }
                guard let found else {
                    problem("after \(moment): acknowledged group \(address) is missing (last acknowledged \(baseline))")
                    worker.groups[address] = nil
                    continue
                }
                tracked.insert(address)
                verifiedGroups += 1
                compare(found, with: baseline, exportedAt: exportedAt, moment: moment)
                worker.groups[address] = .init(baseline: found)
            }
            for address in worker.deleted.sorted() {
                if groups[address] != nil { problem("after \(moment): deleted group \(address) is back: \(groups[address]!)") }
                if !tombstones.contains(address) { problem("after \(moment): deleted group \(address) is not tombstoned") }
            }
            unknownCreates += worker.unknownCreates
            worker.unknownCreates = 0
        }

        // Groups no thread knows of can only come from group.create requests whose answer was lost.
        let orphans = groups.keys.filter { !tracked.contains($0) }.sorted()
        if orphans.count > unknownCreates {
            problem("""
                after \(moment): \(orphans.count) groups nobody was acknowledged (\(orphans.prefix(5))...) but only \
                \(unknownCreates) group.create outcomes were unknown
                """)
        }
        for (offset, address) in orphans.enumerated() {
            workers[offset % workers.count].groups[address] = .init(baseline: groups[address]!)
            adoptedOrphans += 1
        }
    }

    /// The export must show the acknowledged group, or (once its pending switch is due) that switch applied.
    private func compare(_ found: JSONValue, with baseline: JSONValue, exportedAt: String, moment: String) {
        let address = baseline["address"]?.stringValue ?? "?"
        func same(_ left: JSONValue, _ right: JSONValue, except: Set<String> = []) -> Bool {
            Self.compared.allSatisfy { except.contains($0) || left[$0] == right[$0] }
        }
        if same(found, baseline) && found["updated"] == baseline["updated"] {
            if let pending = found["pending"], !pending.isNull { verifiedPending += 1 }
            return
        }
        if let pending = baseline["pending"], !pending.isNull, let due = pending["due"]?.stringValue,
            let to = pending["to"]?.stringValue
        {
            if due <= exportedAt {
                let versionOK = found["version"]?.int64Value == (baseline["version"]?.int64Value ?? 0) + 1
                if same(found, baseline, except: ["active", "pending", "version"]) && found["active"]?.stringValue == to
                    && found["pending"]?.isNull == true && versionOK
                {
                    appliedSwitchesSeen += 1
                    return
                }
            } else if found["pending"]?["due"]?.stringValue != due {
                problem("""
                    after \(moment): group \(address) lost or moved its acknowledged pending switch (due \(due), \
                    exported at \(exportedAt)): acknowledged \(baseline), exported \(found)
                    """)
                return
            }
        }
        problem("after \(moment): group \(address) differs from its last acknowledged state (exported at \(exportedAt)):\n  acknowledged \(baseline)\n  exported     \(found)")
    }
}
