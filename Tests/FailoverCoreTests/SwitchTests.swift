import TestSupport
import Testing

@testable import FailoverCore

@Suite struct SwitchTests {
    @discardableResult
    func schedule(_ model: inout FailoverModel, to: Role = .backup, due: Int64, at: Int64 = t0, by: String? = nil)
        throws -> [ModelEvent]
    {
        try model.apply(.groupSwitch(address: g1, to: to, due: due, requestedAt: at, requestedBy: by))
    }

    @Test func scheduleThenApply() throws {
        var model = sampleModel()
        let events = try schedule(&model, due: t0 + 30_000, by: "ops")
        var group = try #require(model.groups[g1])
        let pending = PendingSwitch(to: .backup, due: t0 + 30_000, requestedAt: t0, requestedBy: "ops")
        #expect(group.pending == pending && group.active == .primary && group.version == 2)
        #expect(events == [.switchScheduled(group)])
        #expect(model.dueSwitches(atOrBefore: t0 + 29_999).isEmpty)
        #expect(model.dueSwitches(atOrBefore: t0 + 30_000).map(\.address) == [g1])
        #expect(model.nextDue?.address == g1 && model.nextDue?.due == t0 + 30_000)
        #expect(model.status(of: appID("a1")).state == .online)

        let applied = try model.apply(.switchApply(address: g1, expectedDue: t0 + 30_000, now: t0 + 30_005))
        group = try #require(model.groups[g1])
        #expect(group.active == .backup && group.pending == nil && group.version == 3 && group.updated == t0 + 30_005)
        #expect(applied == [
            .switchDone(group, reason: .scheduled),
            .statusChanged(app: appID("a1"), old: .online, new: .offline),
            .statusChanged(app: appID("a2"), old: .offline, new: .online),
        ])
        #expect(model.nextDue == nil)
        #expect(model.groups(following: appID("a2")).map(\.address) == [g1])
        #expect(model.groups(following: appID("a1")).isEmpty)
        #expect(model.groups(referencing: appID("a1")).map(\.address) == [g1])
    }

    @Test func replaceKeepsLatest() throws {
        var model = sampleModel()
        try schedule(&model, due: t0 + 30_000)
        let events = try schedule(&model, due: t0 + 60_000, at: t0 + 1)
        let group = try #require(model.groups[g1])
        #expect(group.pending?.due == t0 + 60_000 && group.version == 3)
        #expect(events == [.switchScheduled(group)])
        // The scheduler's old deadline is now stale and refused.
        expectRefused(.switchApply(address: g1, expectedDue: t0 + 30_000, now: t0 + 30_000), on: model, .conflict)
    }

    @Test func identicalRequestIsNoOp() throws {
        var model = sampleModel()
        try schedule(&model, due: t0 + 30_000)
        let before = model
        #expect(try schedule(&model, due: t0 + 30_000).isEmpty)
        #expect(model == before)
    }

    @Test func askingForActiveRoleCancels() throws {
        var model = sampleModel()
        try schedule(&model, due: t0 + 30_000)
        let pending = try #require(model.groups[g1]?.pending)
        let events = try schedule(&model, to: .primary, due: t0 + 10, at: t0 + 10)
        let group = try #require(model.groups[g1])
        #expect(group.pending == nil && group.active == .primary && group.version == 3)
        #expect(events == [.switchCancelled(group, cancelled: pending)])
        // Again, with nothing pending: nothing to do.
        let before = model
        #expect(try schedule(&model, to: .primary, due: t0 + 20, at: t0 + 20).isEmpty)
        #expect(model == before)
    }

    @Test func explicitCancel() throws {
        var model = sampleModel()
        #expect(try model.apply(.groupCancel(address: g1, now: t0)).isEmpty)
        try schedule(&model, due: t0 + 30_000)
        let pending = try #require(model.groups[g1]?.pending)
        let events = try model.apply(.groupCancel(address: g1, now: t0 + 1))
        let group = try #require(model.groups[g1])
        #expect(events == [.switchCancelled(group, cancelled: pending)])
        #expect(group.pending == nil && group.updated == t0 + 1)
        expectRefused(.switchApply(address: g1, expectedDue: t0 + 30_000, now: t0 + 30_000), on: model, .conflict)
    }

    @Test func delayZeroAppliesAtOnce() throws {
        var model = sampleModel()
        try schedule(&model, due: t0 + 30_000)
        let events = try schedule(&model, due: t0 + 5, at: t0 + 5)
        let group = try #require(model.groups[g1])
        #expect(group.active == .backup && group.pending == nil)
        #expect(events.first == .switchDone(group, reason: .manual))
        #expect(model.status(of: appID("a2")).state == .online)
        // And back at once.
        try schedule(&model, to: .primary, due: t0 + 6, at: t0 + 6)
        #expect(model.groups[g1]?.active == .primary)
    }

    @Test func switchToRoleWithoutAppIsConflict() throws {
        var model = sampleModel()
        try model.apply(.groupUpdate(address: g1, primary: .keep, backup: .clear, ifVersion: nil, now: t0))
        expectRefused(.groupSwitch(address: g1, to: .backup, due: t0 + 1, requestedAt: t0, requestedBy: nil),
                      on: model, .conflict)
    }

    @Test func clearingTargetAppCancelsSwitch() throws {
        var model = sampleModel()
        try schedule(&model, due: t0 + 30_000)
        let pending = try #require(model.groups[g1]?.pending)
        let events = try model.apply(.groupUpdate(address: g1, primary: .keep, backup: .clear, ifVersion: 2,
                                                  now: t0 + 1))
        let group = try #require(model.groups[g1])
        #expect(group.pending == nil && group.backup == nil)
        #expect(events == [
            .groupChanged(group), .switchCancelled(group, cancelled: pending),
            .statusChanged(app: appID("a2"), old: .offline, new: .none),
        ])
    }

    @Test func replacingTargetAppKeepsSwitch() throws {
        var model = sampleModel()
        try schedule(&model, due: t0 + 30_000)
        try model.apply(.groupUpdate(address: g1, primary: .keep, backup: .set(appID("a3")), ifVersion: nil,
                                     now: t0 + 1))
        #expect(model.groups[g1]?.pending?.due == t0 + 30_000)
        try model.apply(.switchApply(address: g1, expectedDue: t0 + 30_000, now: t0 + 30_000))
        #expect(model.status(of: appID("a3")).state == .online)
    }

    @Test func clearingActiveAppKeepsSwitchToOtherRole() throws {
        var model = sampleModel()
        try schedule(&model, due: t0 + 30_000)
        try model.apply(.groupUpdate(address: g1, primary: .clear, backup: .keep, ifVersion: nil, now: t0 + 1))
        #expect(model.groups[g1]?.pending != nil)
        #expect(model.invariantViolation() == nil)
    }

    @Test func dueOrderAcrossGroups() throws {
        var model = sampleModel()
        try model.apply(.groupCreate(address: g2, primary: appID("a3"), backup: appID("a1"), now: t0))
        try model.apply(.groupSwitch(address: g2, to: .backup, due: t0 + 10, requestedAt: t0, requestedBy: nil))
        try schedule(&model, due: t0 + 20)
        #expect(model.dueSwitches(atOrBefore: t0 + 100).map(\.address) == [g2, g1])
        #expect(model.pendingSwitches.map(\.address) == [g2, g1])
        #expect(model.nextDue?.address == g2)
    }
}

@Suite struct StatusTests {
    @Test func statusAcrossGroups() throws {
        var model = sampleModel()
        #expect(model.status(of: appID("a3")) == AppStatus(app: appID("a3"), state: .none, groups: []))
        #expect(model.status(of: appID("unknown")).state == .none)
        try model.apply(.groupCreate(address: g2, primary: appID("a3"), backup: appID("a2"), now: t0))
        let status = model.status(of: appID("a2"))
        #expect(status.state == .offline)
        #expect(status.groups == [
            AppMembership(address: g1, role: .backup, active: false),
            AppMembership(address: g2, role: .backup, active: false),
        ])
        let events = try model.apply(.groupSwitch(address: g2, to: .backup, due: t0, requestedAt: t0,
                                                  requestedBy: nil))
        #expect(events.contains(.statusChanged(app: appID("a2"), old: .offline, new: .online)))
        #expect(events.contains(.statusChanged(app: appID("a3"), old: .online, new: .offline)))
        // a2 stays online when it goes offline in g1 only if still active in g2.
        let more = try model.apply(.groupSwitch(address: g1, to: .backup, due: t0, requestedAt: t0,
                                                requestedBy: nil))
        #expect(!more.contains { if case .statusChanged(let app, _, _) = $0 { app == appID("a2") } else { false } })
        #expect(more.contains(.statusChanged(app: appID("a1"), old: .online, new: .offline)))
    }
}

@Suite struct AllocationTests {
    @Test func neverReturnsUsedTombstonedOrReserved() throws {
        var model = FailoverModel()
        var generator = SeededRandom(seed: 42)
        // A small address space is not possible (the range is fixed), so take the used, tombstoned and reserved
        // sets from the generator's own upcoming draws: a replay of the same seed must step over all of them.
        var probe = SeededRandom(seed: 42)
        var upcoming: [GroupAddress] = []
        for _ in 0..<3_000 {
            upcoming.append(GroupAddress(value: UInt32.random(in: 0...GroupAddress.maxValue, using: &probe))!)
        }
        let used = Set(upcoming[0..<1_000])
        let dead = Set(upcoming[1_000..<2_000])
        let reserved = Set(upcoming[2_000..<3_000])
        for (index, address) in used.enumerated() {
            try model.apply(.groupCreate(address: address, primary: nil, backup: nil, now: Int64(index)))
        }
        var scratch = model
        for address in dead {
            try scratch.apply(.groupCreate(address: address, primary: nil, backup: nil, now: 0))
            try scratch.apply(.groupDelete(address: address))
        }
        model = scratch
        #expect(model.tombstones.count == dead.count)

        var seen = Set<GroupAddress>()
        for _ in 0..<100_000 {
            let address = try model.allocateAddress(using: &generator) { reserved.contains($0) }
            #expect(model.groups[address] == nil)
            #expect(!model.tombstones.contains(address))
            #expect(!reserved.contains(address))
            seen.insert(address)
        }
        #expect(seen.count > 99_000)
    }

    @Test func allocatedAddressesAreFreshAcrossCreates() throws {
        var model = FailoverModel()
        var generator = SeededRandom(seed: 1)
        for index in 0..<2_000 {
            let address = try model.allocateAddress(using: &generator)
            try model.apply(.groupCreate(address: address, primary: nil, backup: nil, now: Int64(index)))
            if index % 3 == 0 { try model.apply(.groupDelete(address: address)) }
        }
        #expect(model.groups.count + model.tombstones.count == 2_000)
    }

    @Test func givenAddressChecks() throws {
        let model = sampleModel()
        expectError(.conflict) { try model.checkAddressAvailable(g1) }
        expectError(.conflict) { try model.checkAddressAvailable(g2) { $0 == g2 } }
        try model.checkAddressAvailable(g2)
    }

    @Test func exhaustionIsReported() {
        let model = FailoverModel()
        var generator = SeededRandom(seed: 3)
        expectError(.unavailable) { _ = try model.allocateAddress(using: &generator) { _ in true } }
    }
}
