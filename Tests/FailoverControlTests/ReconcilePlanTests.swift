import Testing

@testable import FailoverControl

@Suite("Reconciliation plans")
struct ReconcilePlanTests {
    static func app(_ id: String, _ name: String = "App", hostname: String? = "lb.example.net") -> AppInfo {
        AppInfo(app: id, name: name, webHead: hostname.map(WebHeadArg.hostname), status: .none)
    }

    static func group(_ address: String, _ primary: String?, _ backup: String?, active: ControlRole = .primary,
                      pending: ControlRole? = nil, version: UInt64 = 3) -> GroupInfo
    {
        GroupInfo(address: address, name: address + ".example.test.", primary: primary, backup: backup, active: active,
                  pending: pending.map { PendingInfo(to: $0, due: 2, requestedAt: 1, requestedBy: nil) },
                  version: version, created: 0, updated: 0)
    }

    static let desired = try! DesiredState(
        apps: [.init(id: "a", name: "App", webHead: .hostname("lb.example.net")),
               .init(id: "b", name: "App", webHead: .hostname("lb.example.net"))],
        groups: [.init(address: "100-000-001", primary: "a", backup: "b", active: .primary)])

    @Test("the desired state itself: nothing to do")
    func noop() {
        let plan = ReconcilePlan(desired: Self.desired, apps: [Self.app("a"), Self.app("b", hostname: "LB.example.net.")],
                                 groups: [Self.group("100-000-001", "a", "b")], prune: true)
        #expect(plan.isEmpty)
        #expect(plan.description == "nothing to do")
    }

    @Test("drift: a missing app, a changed web head, an extra app, a group on the wrong side")
    func drift() {
        let plan = ReconcilePlan(
            desired: Self.desired, apps: [Self.app("a", hostname: "old.example.net"), Self.app("x"), Self.app("y")],
            groups: [Self.group("100-000-001", "a", "y", active: .backup), Self.group("100-000-002", "x", nil)],
            prune: true, switchDelay: 0)
        #expect(plan.description == """
            put app a (web head old.example.net -> lb.example.net)
            put app b (missing)
            update group 100-000-001: backup y -> b (if version 3)
            switch group 100-000-001 to primary in 0s (if version 4)
            remove app y (not desired, in no group)
            """)
        #expect(plan.steps[2].command == .groupUpdate(GroupUpdateArgs(
            address: "100-000-001", primary: .set("a"), backup: .set("b"), ifVersion: 3)))
        #expect(plan.steps[3].expectVersion == 4)
    }

    @Test("without prune extra apps stay; without active no switch; a switch already pending is kept")
    func defaults() throws {
        let desired = try DesiredState(apps: Self.desired.apps, groups: [
            .init(address: "100-000-001", primary: "a", backup: "b"),
            .init(address: "100-000-002", primary: "a", backup: "b", active: .backup),
        ])
        let plan = ReconcilePlan(desired: desired, apps: [Self.app("a"), Self.app("b"), Self.app("x")], groups: [
            Self.group("100-000-001", "a", "b", active: .backup),
            Self.group("100-000-002", "a", "b", pending: .backup),
        ])
        #expect(plan.isEmpty)
    }

    @Test("a pending switch away from the desired side is cancelled; missing groups are created")
    func cancelAndCreate() throws {
        let desired = try DesiredState(apps: Self.desired.apps, groups: [
            .init(address: "100-000-001", primary: "a", backup: "b", active: .primary),
            .init(address: "100-000-003", primary: "a", backup: "b", active: .backup),
            .init(primary: "b"),
        ])
        let plan = ReconcilePlan(desired: desired, apps: [Self.app("a"), Self.app("b")],
                                 groups: [Self.group("100-000-001", "a", "b", pending: .backup)])
        #expect(plan.description == """
            cancel the pending switch of group 100-000-001 to backup (if version 3)
            create group 100-000-003: primary a, backup b
            switch group 100-000-003 to backup after the default delay
            create a group: primary b, backup -
            """)
    }

    @Test("bad desired states are refused with a reason")
    func badFiles() throws {
        #expect(throws: DesiredStateError.self) { try DesiredState(json: .array([])) }
        #expect(throws: DesiredStateError("app a: `web_head` is required (null for none)")) {
            try DesiredState(json: .object(["apps": .array([.object(["app": .string("a"), "name": .string("A")])])]))
        }
        #expect(throws: DesiredStateError("group: unknown key adress")) {
            try DesiredState(json: .object(["groups": .array([.object(["adress": .string("1")])])]))
        }
        #expect(throws: DesiredStateError("group 100-000-001: active backup has no app")) {
            try DesiredState(apps: [], groups: [.init(address: "100-000-001", primary: "a", active: .backup)])
        }
        let state = try DesiredState(json: .object([
            "apps": .array([.object(["app": .string("a"), "name": .string("A"), "web_head": .null])]),
            "groups": .array([.object(["primary": .string("a"), "active": .string("primary")])]),
        ]))
        #expect(state.apps == [.init(id: "a", name: "A", webHead: nil)])
        #expect(state.groups == [.init(primary: "a", active: .primary)])
    }
}
