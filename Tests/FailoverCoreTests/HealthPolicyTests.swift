import Foundation
import Testing

@testable import FailoverCore

/// The pure health types: check validation, rise/fall, quorum, the failover policy, and the health
/// mutations in the model.
@Suite struct HealthPolicyTests {
    @Test func checkDefaultsAndValidation() throws {
        let http = try HealthCheck(kind: .http)
        #expect(http.port == 80 && http.path == "/" && http.expect == 200...399 && http.interval == 10
            && http.timeout == 2 && http.fall == 3 && http.rise == 2 && !http.insecure)
        #expect(try HealthCheck(kind: .https).port == 443)
        #expect(try HealthCheck(kind: .http, host: "Shop.Example.COM.").host == "shop.example.com")
        #expect(try HealthCheck.expectRange(parsing: "204") == 204...204)
        let refused: [() throws -> HealthCheck] = [
            { try HealthCheck(kind: .http, port: 0) },
            { try HealthCheck(kind: .http, path: "health") },
            { try HealthCheck(kind: .http, path: "/a b") },
            { try HealthCheck(kind: .http, path: "/" + String(repeating: "x", count: 600)) },
            { try HealthCheck(kind: .tcp, path: "/") },
            { try HealthCheck(kind: .http, insecure: true) },
            { try HealthCheck(kind: .http, host: "not a host") },
            { try HealthCheck(kind: .http, expect: 99...200) },
            { try HealthCheck(kind: .http, interval: 0) },
            { try HealthCheck(kind: .http, interval: 2, timeout: 3) },
            { try HealthCheck(kind: .http, fall: 0) },
            { try HealthCheck(kind: .http, rise: 11) },
        ]
        for make in refused {
            #expect(throws: FailoverError.self) { try make() }
        }
        for text in ["", "abc", "300-200", "200-", "1-2-3"] {
            #expect(throws: FailoverError.self) { try HealthCheck.expectRange(parsing: text) }
        }
        #expect(throws: FailoverError.self) { try GroupPolicy(failbackAfter: 86_401) }
    }

    @Test func riseAndFall() {
        var tracker = HealthTracker()
        func step(_ passed: Bool, at: Int64) -> Bool { tracker.record(passed: passed, fall: 3, rise: 2, at: at) }
        #expect(tracker.state == .unknown)
        #expect(!step(true, at: 1))
        #expect(tracker.state == .unknown)
        #expect(step(true, at: 2))
        #expect(tracker.state == .up && tracker.since == 2)
        // Two failures, a pass, then three failures: only the three in a row count.
        for at in Int64(3)...4 { #expect(!step(false, at: at)) }
        #expect(!step(true, at: 5))
        #expect(!step(false, at: 6))
        #expect(!step(false, at: 7))
        #expect(step(false, at: 8))
        #expect(tracker.state == .down && tracker.since == 8)
        #expect(!step(true, at: 9))
        #expect(step(true, at: 10))
        #expect(tracker.state == .up)
    }

    @Test func quorum() {
        let majority = HealthQuorum()
        #expect(majority.verdict([]) == .unknown)
        #expect(majority.verdict([.unknown]) == .unknown)
        #expect(majority.verdict([.down]) == .down)
        // One host's view does not decide alone against another.
        #expect(majority.verdict([.down, .up]) == .unknown)
        #expect(majority.verdict([.down, .up, .up]) == .up)
        #expect(majority.verdict([.down, .down, .up]) == .down)
        #expect(majority.verdict([.down, .unknown, .up, .up]) == .up)
        let two = HealthQuorum(required: 2)
        #expect(two.verdict([.down]) == .unknown)
        #expect(two.verdict([.down, .down, .up]) == .down)
        #expect(two.verdict([.down, .up, .up]) == .up)
    }

    func group(active: Role = .primary, pending: PendingSwitch? = nil) -> Group {
        Group(address: g1, primary: appID("a1"), backup: appID("a2"), active: active, pending: pending, created: t0,
              updated: t0)
    }

    @Test func policyDecisions() throws {
        let auto = try GroupPolicy(autoFailover: true, failback: .auto, failbackAfter: 300, minSwitchInterval: 60)
        let up = FailoverDecision.Health(.up, since: t0)
        let down = FailoverDecision.Health(.down, since: t0)
        let now = t0 + 1_000_000
        func decide(_ g: Group, _ policy: GroupPolicy, _ p: FailoverDecision.Health, _ b: FailoverDecision.Health,
                    last: Int64? = nil, at: Int64 = now) -> FailoverDecision {
            FailoverDecision.decide(group: g, policy: policy, primary: p, backup: b, lastSwitch: last, now: at)
        }
        #expect(decide(group(), auto, down, up) == .switchTo(.backup, failback: false))
        #expect(decide(group(), .default, down, up) == .stay)
        #expect(decide(group(), auto, down, down) == .noHealthyTarget)
        #expect(decide(group(), auto, down, .unknown) == .noHealthyTarget)
        #expect(decide(group(), auto, .unknown, up) == .stay)
        #expect(decide(group(), auto, up, down) == .stay)
        // A pending (manual) switch is never overridden.
        let pending = PendingSwitch(to: .backup, due: now + 10, requestedAt: now, requestedBy: nil)
        #expect(decide(group(pending: pending), auto, down, up) == .stay)
        // Damping: one automatic switch per interval, counted from the last switch of any kind.
        #expect(decide(group(), auto, down, up, last: now - 10_000) == .damped(until: now + 50_000))
        #expect(decide(group(), auto, down, up, last: now - 60_000) == .switchTo(.backup, failback: false))
        // Failback: only with failback auto, and once the primary has been up long enough.
        let onBackup = group(active: .backup)
        #expect(decide(onBackup, auto, FailoverDecision.Health(.up, since: now - 299_000), up) == .stay)
        #expect(decide(onBackup, auto, FailoverDecision.Health(.up, since: now - 300_000), up)
            == .switchTo(.primary, failback: true))
        var manualBack = auto
        manualBack.failback = .manual
        #expect(decide(onBackup, manualBack, up, up) == .stay)
        // The backup failing with the primary up moves back whatever the failback mode.
        #expect(decide(onBackup, manualBack, up, down) == .switchTo(.primary, failback: false))
    }

    @Test func healthSwitchLosesToAnyChangeMadeMeanwhile() throws {
        var model = sampleModel()
        let version = model.groups[g1]!.version
        let events = try model.apply(.healthSwitch(address: g1, to: .backup, expectedVersion: version, now: t0 + 5))
        #expect(events.first == .switchDone(model.groups[g1]!, reason: .health))
        #expect(model.groups[g1]!.active == .backup)
        // Stale version: a manual switch came first.
        try model.apply(.groupSwitch(address: g1, to: .primary, due: t0 + 6, requestedAt: t0 + 6, requestedBy: nil))
        expectError(.conflict) { try model.apply(.healthSwitch(address: g1, to: .backup, expectedVersion: version + 1,
                                                               now: t0 + 7)) }
        // A pending manual switch blocks it even at the right version.
        try model.apply(.groupSwitch(address: g1, to: .backup, due: t0 + 60_000, requestedAt: t0 + 8, requestedBy: nil))
        let current = model.groups[g1]!.version
        expectError(.conflict) { try model.apply(.healthSwitch(address: g1, to: .backup, expectedVersion: current,
                                                               now: t0 + 9)) }
    }

    @Test func policyAndCheckSurviveUndo() throws {
        var model = sampleModel()
        let before = model
        var undo = FailoverModel.Undo()
        try model.apply(.appPut(makeApp("a1").with(healthCheck: try HealthCheck(kind: .tcp))), recordingInto: &undo)
        try model.apply(.groupUpdate(address: g1, primary: .keep, backup: .keep, ifVersion: nil, now: t0 + 1,
                                     policy: try GroupPolicy(autoFailover: true)), recordingInto: &undo)
        #expect(model.apps[appID("a1")]?.healthCheck?.kind == .tcp)
        #expect(model.groups[g1]?.policy.autoFailover == true && model.autoFailoverGroups.count == 1)
        #expect(model.healthCheckedApps.map(\.id) == [appID("a1")])
        model.revert(undo)
        #expect(model == before && model.autoFailoverGroups.isEmpty && model.healthCheckedApps.isEmpty)
    }

    /// A format 1 JSON journal record of an earlier version (no `policy`) still decodes.
    @Test func oldJSONMutationWithoutPolicyDecodes() throws {
        let old = Mutation.groupCreate(address: g1, primary: appID("a1"), backup: nil, now: t0)
        let json = try JSONEncoder().encode(old)
        #expect(!String(decoding: json, as: UTF8.self).contains("policy"))
        #expect(try JSONDecoder().decode(Mutation.self, from: json) == old)
    }
}
