import Testing

@testable import FailoverCore

/// `invariantViolation()` reads the packed rows: each broken invariant a state from disk could hold is
/// named, and a consistent model passes.
@Suite struct InvariantTests {
    let a1 = appID("a1")
    let a2 = appID("a2")

    func model(groups: [Group], tombstones: [GroupAddress] = []) -> FailoverModel {
        FailoverModel(apps: [makeApp("a1"), makeApp("a2")], groups: groups, tombstones: tombstones, serial: 1)
    }

    func group(_ primary: AppID?, _ backup: AppID?, active: Role = .primary, pending: PendingSwitch? = nil,
               version: UInt64 = 1) -> Group {
        Group(address: g1, primary: primary, backup: backup, active: active, pending: pending, version: version,
              created: t0, updated: t0)
    }

    @Test func consistentModelsPass() {
        let due = PendingSwitch(to: .backup, due: t0 + 60_000, requestedAt: t0, requestedBy: "ops")
        #expect(model(groups: [group(a1, a2, pending: due), group(nil, nil)]).invariantViolation() == nil)
        let reserved = Group(address: g2, primary: nil, backup: nil, created: t0, updated: t0)
        #expect(model(groups: [group(a1, nil), reserved], tombstones: [address("100-000-003")])
            .invariantViolation() == nil)
    }

    @Test(arguments: [
        ("missing primary", "references missing app \"ghost\""),
        ("missing backup", "references missing app \"ghost\""),
        ("same app twice", "has \"a1\" as both primary and backup"),
        ("tombstoned", "is also tombstoned"),
        ("switch to the active role", "has a switch to its active role"),
        ("switch to an empty role", "has a switch to a role with no app"),
        ("version 0", "has version 0"),
    ])
    func eachViolationIsNamed(name: String, message: String) {
        let ghost = appID("ghost")
        let toBackup = PendingSwitch(to: .backup, due: t0, requestedAt: t0, requestedBy: nil)
        let broken: FailoverModel
        switch name {
        case "missing primary": broken = model(groups: [group(ghost, a2)])
        case "missing backup": broken = model(groups: [group(a1, ghost)])
        case "same app twice": broken = model(groups: [group(a1, a1)])
        case "tombstoned": broken = model(groups: [group(a1, a2)], tombstones: [g1])
        case "switch to the active role": broken = model(groups: [group(a1, a2, active: .backup, pending: toBackup)])
        case "switch to an empty role": broken = model(groups: [group(a1, nil, pending: toBackup)])
        default: broken = model(groups: [group(a1, a2, version: 0)])
        }
        #expect(broken.invariantViolation() == "group \(g1) \(message)", "\(name)")
    }
}
