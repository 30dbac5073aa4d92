import DNSWire
import FailoverControl
import FailoverCore
import Foundation
import Logging
import Synchronization
import Testing
import ZoneData

@testable import FailoverApplication

/// The health monitor over a real service on a fake clock: rise and fall of the daemon's own rounds, the
/// quorum with external verdicts and their expiry, and the policy passes (``HealthMonitor/evaluate()`` called
/// by the test, never by a timer): switch, never to a worse place, damping, failback, manual switches win.
@Suite struct HealthMonitorTests {
    /// Milliseconds since the epoch, moved by the test only.
    final class FakeClock: Sendable {
        private let value = Mutex<Int64>(1_800_000_000_000)
        var now: Int64 { value.withLock { $0 } }
        func advance(seconds: Double) { value.withLock { $0 += Int64(seconds * 1000) } }
    }

    final class Events: Sendable {
        private let items = Mutex<[ControlEvent]>([])
        func add(_ more: [ControlEvent]) { items.withLock { $0 += more } }
        func named(_ name: String) -> [ControlEvent] { items.withLock { $0.filter { $0.name == name } } }
    }

    /// A service in a fresh state directory with apps `p` and `b` (both checked: fall 2, rise 2) and one group
    /// `p`/`b` with `policy`; the monitor follows the service but runs no loop.
    struct Fixture {
        let clock = FakeClock()
        let directory: String
        let service: FailoverService
        let monitor: HealthMonitor
        let events = Events()
        let address: GroupAddress
        let check: HealthCheck
        static let primary = try! AppID("p")
        static let backup = try! AppID("b")

        init(policy: GroupPolicy, quorum: HealthQuorum = HealthQuorum()) async throws {
            var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("monitor-XXXXXX").utf8CString)
            directory = String(cString: try #require(mkdtemp(&template)))
            let zone = try DefaultZone.load(origin: try DomainName("cloud66.net"))
            let clock = self.clock
            service = try FailoverService(
                stateDirectory: directory, zone: zone, ttl: 30, defaultDelaySeconds: 0,
                snapshots: SnapshotStore(ZoneSnapshot(zone: zone)), logger: Logger(label: "test"),
                clock: { clock.now })
            monitor = HealthMonitor(service: service, quorum: quorum, origin: try DomainName("cloud66.net"),
                                    logger: Logger(label: "test"), clock: { clock.now })
            await monitor.follow()
            let events = self.events
            monitor.addListener { events.add($0) }
            check = try HealthCheck(kind: .tcp, interval: 1, timeout: 1, fall: 2, rise: 2)
            for (id, address) in [(Self.primary, "192.0.2.1"), (Self.backup, "192.0.2.2")] {
                let app = try App(id: id, name: id.rawValue, webHead: .addresses(validating: [address]),
                                  healthCheck: check)
                _ = try await service.commit { _, _ throws(FailoverError) in .appPut(app) }.get()
                monitor.setChecked(id, true)
            }
            let address = try GroupAddress("100-200-300")
            self.address = address
            _ = try await service.commit { _, now throws(FailoverError) in
                .groupCreate(address: address, primary: Self.primary, backup: Self.backup, now: now, policy: policy)
            }.get()
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }

        /// `count` rounds of the daemon's own checks of `app`, one second apart.
        func rounds(_ app: AppID, passed: Bool, _ count: Int = 2) {
            for _ in 0..<count {
                let outcome = CheckRound.Outcome(address: "192.0.2.9", passed: passed, error: passed ? nil : "refused")
                monitor.record(app, round: CheckRound(outcomes: [outcome]), check: check)
                clock.advance(seconds: 1)
            }
        }

        func group() async throws -> Group {
            let address = self.address
            return try #require(try await service.read { model in model.groups[address] })
        }

        /// Both apps up, then `evaluate` once (nothing to do).
        func bothUp() async throws {
            rounds(Self.primary, passed: true)
            rounds(Self.backup, passed: true)
            #expect(monitor.verdict(of: Self.primary).state == .up && monitor.verdict(of: Self.backup).state == .up)
            await monitor.evaluate()
            #expect(try await group().active == .primary)
        }
    }

    static let auto = try! GroupPolicy(autoFailover: true, failback: .manual, failbackAfter: 300, minSwitchInterval: 60)

    @Test func ownRoundsRiseAndFallAndTellWatchers() async throws {
        let fixture = try await Fixture(policy: Self.auto)
        defer { fixture.remove() }
        #expect(fixture.monitor.verdict(of: Fixture.primary).state == .unknown)
        fixture.rounds(Fixture.primary, passed: true, 1)
        #expect(fixture.monitor.verdict(of: Fixture.primary).state == .unknown, "rise 2: one pass is not up")
        fixture.rounds(Fixture.primary, passed: true, 1)
        #expect(fixture.monitor.verdict(of: Fixture.primary).state == .up)
        fixture.rounds(Fixture.primary, passed: false, 1)
        #expect(fixture.monitor.verdict(of: Fixture.primary).state == .up, "fall 2: one failure is not down")
        fixture.rounds(Fixture.primary, passed: false, 1)
        #expect(fixture.monitor.verdict(of: Fixture.primary).state == .down)
        let changes = fixture.events.named("health.changed").filter { $0.fields["app"] == "p" }
        #expect(changes.map { $0.fields["state"] } == ["up", "down"])
        let health = try #require(fixture.monitor.health(of: Fixture.primary))
        #expect(health["checkers"]?["local"]?["addresses"]?.arrayValue?.first?["error"] == "refused")
        #expect(fixture.monitor.stateCounts() == [.up: 0, .down: 1, .unknown: 1])
        // A cleared check forgets the daemon's own verdict: unknown again.
        fixture.monitor.setChecked(Fixture.primary, false)
        #expect(fixture.monitor.verdict(of: Fixture.primary).state == .unknown)
    }

    @Test func externalVerdictsOutvoteTheDaemonAndExpire() async throws {
        let fixture = try await Fixture(policy: Self.auto)
        defer { fixture.remove() }
        try await fixture.bothUp()
        try fixture.monitor.report(Fixture.primary, checker: "eu-1", state: .up, ttlSeconds: 10)
        try fixture.monitor.report(Fixture.primary, checker: "us-1", state: .up, ttlSeconds: 20)
        fixture.rounds(Fixture.primary, passed: false)
        #expect(fixture.monitor.health(of: Fixture.primary)?["checkers"]?["local"]?["state"] == "down")
        #expect(fixture.monitor.verdict(of: Fixture.primary).state == .up, "two up against one down: up")
        await fixture.monitor.evaluate()
        #expect(try await fixture.group().active == .primary, "one host's view must not fail the group over")
        // eu-1 expires (10 s): one up, one down is a tie, unknown; still no switch.
        fixture.clock.advance(seconds: 9)
        await fixture.monitor.evaluate()
        #expect(fixture.monitor.verdict(of: Fixture.primary).state == .unknown)
        #expect(try await fixture.group().active == .primary)
        // us-1 expires too: the daemon alone says down, and the group fails over.
        fixture.clock.advance(seconds: 10)
        await fixture.monitor.evaluate()
        #expect(fixture.monitor.verdict(of: Fixture.primary).state == .down)
        #expect(try await fixture.group().active == .backup)
        #expect(throws: FailoverError.self) {
            try fixture.monitor.report(Fixture.primary, checker: "local", state: .up, ttlSeconds: nil)
        }
        #expect(throws: FailoverError.self) {
            try fixture.monitor.report(Fixture.primary, checker: "x", state: .up, ttlSeconds: 0)
        }
    }

    @Test func requiredQuorumOfTwoIgnoresALoneChecker() async throws {
        let fixture = try await Fixture(policy: Self.auto, quorum: HealthQuorum(required: 2))
        defer { fixture.remove() }
        fixture.rounds(Fixture.primary, passed: true)
        #expect(fixture.monitor.verdict(of: Fixture.primary).state == .unknown, "one checker of the two required")
        try fixture.monitor.report(Fixture.primary, checker: "eu-1", state: .up, ttlSeconds: 30)
        #expect(fixture.monitor.verdict(of: Fixture.primary).state == .up)
    }

    @Test func activeDownOtherUpSwitchesOnceWithReasonHealth() async throws {
        let fixture = try await Fixture(policy: Self.auto)
        defer { fixture.remove() }
        try await fixture.bothUp()
        let switched = Events()
        _ = await fixture.service.addListener { events, _, _, at in
            let done = events.compactMap { event -> ControlEvent? in
                guard case .switchDone(_, let reason) = event else { return nil }
                return ControlEvent(.switchDone, at: at, fields: ["reason": .string(reason.rawValue)])
            }
            switched.add(done)
        }
        fixture.rounds(Fixture.primary, passed: false)
        await fixture.monitor.evaluate()
        #expect(try await fixture.group().active == .backup)
        #expect(switched.named("switch.done").map { $0.fields["reason"] } == ["health"])
        // Evaluating again changes nothing.
        await fixture.monitor.evaluate()
        #expect(switched.named("switch.done").count == 1)
    }

    @Test func neverSwitchesToAnAppThatIsDownOrUnknown() async throws {
        let fixture = try await Fixture(policy: Self.auto)
        defer { fixture.remove() }
        // The backup has no verdict yet: unknown.
        fixture.rounds(Fixture.primary, passed: true)
        fixture.rounds(Fixture.primary, passed: false)
        await fixture.monitor.evaluate()
        #expect(try await fixture.group().active == .primary)
        #expect(fixture.monitor.blockedReason(fixture.address) == "target_unknown")
        // The backup is down too: both down, stay and say so once.
        fixture.rounds(Fixture.backup, passed: false)
        await fixture.monitor.evaluate()
        await fixture.monitor.evaluate()
        #expect(try await fixture.group().active == .primary)
        #expect(fixture.monitor.blockedReason(fixture.address) == "target_down")
        #expect(fixture.monitor.blockedCount == 1)
        #expect(fixture.events.named("failover.blocked").map { $0.fields["reason"] } == ["target_unknown", "target_down"])
        // The backup recovers: the group moves and is no longer blocked.
        fixture.rounds(Fixture.backup, passed: true)
        await fixture.monitor.evaluate()
        #expect(try await fixture.group().active == .backup)
        #expect(fixture.monitor.blockedReason(fixture.address) == nil && fixture.monitor.blockedCount == 0)
    }

    @Test func dampingAllowsOneAutomaticSwitchPerInterval() async throws {
        let fixture = try await Fixture(policy: Self.auto)
        defer { fixture.remove() }
        try await fixture.bothUp()
        fixture.rounds(Fixture.primary, passed: false)
        await fixture.monitor.evaluate()
        #expect(try await fixture.group().active == .backup)
        // The other way round at once: damped for min_switch_interval (60 s) from that switch.
        fixture.rounds(Fixture.primary, passed: true)
        fixture.rounds(Fixture.backup, passed: false)
        await fixture.monitor.evaluate()
        #expect(try await fixture.group().active == .backup, "a second automatic switch within 60 s")
        fixture.clock.advance(seconds: 50)
        await fixture.monitor.evaluate()
        #expect(try await fixture.group().active == .backup, "still within 60 s")
        fixture.clock.advance(seconds: 7)
        await fixture.monitor.evaluate()
        #expect(try await fixture.group().active == .primary, "60 s after the last switch")
    }

    @Test func aManualSwitchStartsTheDampingIntervalToo() async throws {
        let fixture = try await Fixture(policy: Self.auto)
        defer { fixture.remove() }
        try await fixture.bothUp()
        let address = fixture.address
        _ = try await fixture.service.commit { _, now throws(FailoverError) in
            .groupSwitch(address: address, to: .backup, due: now, requestedAt: now, requestedBy: "alice")
        }.get()
        fixture.rounds(Fixture.backup, passed: false)
        await fixture.monitor.evaluate()
        #expect(try await fixture.group().active == .backup, "the policy must not undo a manual switch at once")
        fixture.clock.advance(seconds: 60)
        await fixture.monitor.evaluate()
        #expect(try await fixture.group().active == .primary)
    }

    @Test func failbackAutoAfterThePrimaryHasBeenUpLongEnough() async throws {
        let policy = try GroupPolicy(autoFailover: true, failback: .auto, failbackAfter: 300, minSwitchInterval: 0)
        let fixture = try await Fixture(policy: policy)
        defer { fixture.remove() }
        try await fixture.bothUp()
        fixture.rounds(Fixture.primary, passed: false)
        await fixture.monitor.evaluate()
        #expect(try await fixture.group().active == .backup)
        fixture.rounds(Fixture.primary, passed: true)
        let since = try #require(fixture.monitor.verdict(of: Fixture.primary).since)
        fixture.clock.advance(seconds: 299 - Double(fixture.clock.now - since) / 1000)
        await fixture.monitor.evaluate()
        #expect(try await fixture.group().active == .backup, "up for 299 s of the 300 required")
        fixture.clock.advance(seconds: 1)
        await fixture.monitor.evaluate()
        #expect(try await fixture.group().active == .primary, "up for 300 s: failback")
    }

    @Test func failbackManualNeverReturnsByItself() async throws {
        let policy = try GroupPolicy(autoFailover: true, failback: .manual, failbackAfter: 0, minSwitchInterval: 0)
        let fixture = try await Fixture(policy: policy)
        defer { fixture.remove() }
        try await fixture.bothUp()
        fixture.rounds(Fixture.primary, passed: false)
        await fixture.monitor.evaluate()
        fixture.rounds(Fixture.primary, passed: true)
        fixture.clock.advance(seconds: 3600)
        await fixture.monitor.evaluate()
        #expect(try await fixture.group().active == .backup)
    }

    @Test func aPendingManualSwitchIsNeverOverridden() async throws {
        let fixture = try await Fixture(policy: Self.auto)
        defer { fixture.remove() }
        try await fixture.bothUp()
        fixture.clock.advance(seconds: 120)
        let address = fixture.address
        // The operator schedules a switch to the backup in 10 minutes; the primary then fails.
        _ = try await fixture.service.commit { _, now throws(FailoverError) in
            .groupSwitch(address: address, to: .backup, due: now + 600_000, requestedAt: now, requestedBy: "alice")
        }.get()
        fixture.clock.advance(seconds: 120)
        fixture.rounds(Fixture.primary, passed: false)
        await fixture.monitor.evaluate()
        let group = try await fixture.group()
        #expect(group.active == .primary && group.pending?.requestedBy == "alice", "\(group)")
        // Cancelled: the policy may act again once the damping interval from the cancel has passed.
        _ = try await fixture.service.commit { _, now throws(FailoverError) in .groupCancel(address: address, now: now) }
            .get()
        await fixture.monitor.evaluate()
        #expect(try await fixture.group().active == .primary, "damped from the cancel")
        fixture.clock.advance(seconds: 60)
        await fixture.monitor.evaluate()
        #expect(try await fixture.group().active == .backup)
    }

    @Test func groupsWithoutAutoFailoverNeverSwitch() async throws {
        let fixture = try await Fixture(policy: .default)
        defer { fixture.remove() }
        try await fixture.bothUp()
        fixture.rounds(Fixture.primary, passed: false)
        await fixture.monitor.evaluate()
        #expect(try await fixture.group().active == .primary)
        #expect(fixture.monitor.blockedCount == 0)
    }
}
