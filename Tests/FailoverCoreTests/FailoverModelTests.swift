import Foundation
import Testing

@testable import FailoverCore

/// Applies `mutation` to a copy of `model`, expects `code`, and checks the copy did not change.
func expectRefused(
    _ mutation: Mutation, on model: FailoverModel, _ code: FailoverError.Code,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    var copy = model
    #expect(throws: FailoverError.self, sourceLocation: sourceLocation) { _ = try copy.validate(mutation) }
    expectError(code, sourceLocation: sourceLocation) { _ = try copy.apply(mutation) }
    #expect(copy == model, "model changed by a refused \(mutation)", sourceLocation: sourceLocation)
    #expect(copy.membership == model.membership, sourceLocation: sourceLocation)
}

@Suite struct FailoverModelMutationTests {
    struct Refusal: CustomTestStringConvertible, Sendable {
        var name: String
        var mutation: Mutation
        var code: FailoverError.Code
        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(name: "remove missing app", mutation: .appRemove(appID("nope")), code: .notFound),
        Refusal(name: "remove app in use", mutation: .appRemove(appID("a1")), code: .inUse),
        Refusal(name: "create existing", mutation: .groupCreate(address: g1, primary: nil, backup: nil, now: t0),
                code: .conflict),
        Refusal(name: "create with missing primary",
                mutation: .groupCreate(address: g2, primary: appID("zz"), backup: nil, now: t0), code: .notFound),
        Refusal(name: "create with missing backup",
                mutation: .groupCreate(address: g2, primary: nil, backup: appID("zz"), now: t0), code: .notFound),
        Refusal(name: "create primary == backup",
                mutation: .groupCreate(address: g2, primary: appID("a1"), backup: appID("a1"), now: t0),
                code: .conflict),
        Refusal(name: "update missing group",
                mutation: .groupUpdate(address: g2, primary: .clear, backup: .keep, ifVersion: nil, now: t0),
                code: .notFound),
        Refusal(name: "update wrong version",
                mutation: .groupUpdate(address: g1, primary: .clear, backup: .keep, ifVersion: 7, now: t0),
                code: .conflict),
        Refusal(name: "update to missing app",
                mutation: .groupUpdate(address: g1, primary: .set(appID("zz")), backup: .keep, ifVersion: nil, now: t0),
                code: .notFound),
        Refusal(name: "update primary == backup",
                mutation: .groupUpdate(address: g1, primary: .set(appID("a2")), backup: .keep, ifVersion: nil, now: t0),
                code: .conflict),
        Refusal(name: "switch missing group",
                mutation: .groupSwitch(address: g2, to: .backup, due: t0, requestedAt: t0, requestedBy: nil),
                code: .notFound),
        Refusal(name: "switch due before request",
                mutation: .groupSwitch(address: g1, to: .backup, due: t0 - 1, requestedAt: t0, requestedBy: nil),
                code: .badRequest),
        Refusal(name: "switch delay over 7 days",
                mutation: .groupSwitch(address: g1, to: .backup, due: t0 + FailoverModel.maxSwitchDelay + 1,
                                       requestedAt: t0, requestedBy: nil),
                code: .badRequest),
        Refusal(name: "switch requested_by too long",
                mutation: .groupSwitch(address: g1, to: .backup, due: t0, requestedAt: t0,
                                       requestedBy: String(repeating: "x", count: 201)),
                code: .badRequest),
        Refusal(name: "switch requested_by control char",
                mutation: .groupSwitch(address: g1, to: .backup, due: t0, requestedAt: t0, requestedBy: "a\nb"),
                code: .badRequest),
        Refusal(name: "cancel missing group", mutation: .groupCancel(address: g2, now: t0), code: .notFound),
        Refusal(name: "delete missing group", mutation: .groupDelete(address: g2), code: .notFound),
        Refusal(name: "delete group with apps", mutation: .groupDelete(address: g1), code: .inUse),
        Refusal(name: "apply with nothing pending", mutation: .switchApply(address: g1, expectedDue: t0, now: t0),
                code: .conflict),
        Refusal(name: "apply missing group", mutation: .switchApply(address: g2, expectedDue: t0, now: t0),
                code: .notFound),
    ]

    @Test(arguments: refusals)
    func refusedMutationChangesNothing(_ refusal: Refusal) {
        expectRefused(refusal.mutation, on: sampleModel(), refusal.code)
    }

    @Test func appPutCreatesReplacesAndIgnoresIdentical() throws {
        var model = FailoverModel()
        #expect(model.serial == 1)
        let app = makeApp("a1")
        #expect(try model.apply(.appPut(app)) == [.appChanged(app)])
        #expect(model.serial == 2)
        #expect(try !model.validate(.appPut(app)))
        #expect(try model.apply(.appPut(app)).isEmpty)
        #expect(model.serial == 2)
        let renamed = makeApp("a1", name: "Renamed", host: nil)
        #expect(try model.apply(.appPut(renamed)) == [.appChanged(renamed)])
        #expect(model.apps[appID("a1")] == renamed)
        #expect(model.serial == 3)
    }

    /// Equality compares apps by value, whatever their places in the packed store.
    @Test func equalityComparesAppsByValueNotPlace() throws {
        func model(_ apps: [App]) throws -> FailoverModel {
            var model = FailoverModel()
            for app in apps { try model.apply(.appPut(app)) }
            return model
        }
        let first = makeApp("a1")
        let second = makeApp("b2", host: "x.example.net")
        #expect(try model([first, second]) == model([second, first]))
        let others = [
            makeApp("b2", name: "Other", host: "x.example.net"), makeApp("b2", host: "y.example.net"),
            makeApp("b2", host: nil), makeApp("c3", host: "x.example.net"),
            try App(id: appID("b2"), name: "App b2", webHead: .hostname(validating: "x.example.net"),
                    healthCheck: HealthCheck(kind: .http)),
        ]
        for other in others {
            #expect(try model([first, second]) != model([first, other]), "\(other)")
            #expect(try model([first, other]) != model([first, second]), "\(other)")
        }
    }

    @Test func appRemove() throws {
        var model = sampleModel()
        #expect(try model.apply(.appRemove(appID("a3"))) == [.appRemoved(appID("a3"))])
        #expect(model.apps[appID("a3")] == nil)
    }

    @Test func groupCreateSetsDefaultsAndStatus() throws {
        var model = sampleModel()
        let serial = model.serial
        let events = try model.apply(.groupCreate(address: g2, primary: appID("a3"), backup: nil, now: t0 + 5))
        let group = try #require(model.groups[g2])
        #expect(group == Group(address: g2, primary: appID("a3"), backup: nil, active: .primary, pending: nil,
                               version: 1, created: t0 + 5, updated: t0 + 5))
        #expect(events == [.groupChanged(group), .statusChanged(app: appID("a3"), old: .none, new: .online)])
        #expect(model.serial == serial + 1)
    }

    @Test func emptyGroupIsAllowed() throws {
        var model = sampleModel()
        #expect(try model.apply(.groupCreate(address: g2, primary: nil, backup: nil, now: t0)).count == 1)
        #expect(model.groups[g2]?.isEmpty == true)
    }

    @Test func tombstonedAddressRefused() throws {
        var model = sampleModel()
        try model.apply(.groupCreate(address: g2, primary: nil, backup: nil, now: t0))
        try model.apply(.groupDelete(address: g2))
        #expect(model.tombstones.contains(g2))
        expectRefused(.groupCreate(address: g2, primary: nil, backup: nil, now: t0), on: model, .conflict)
        expectError(.conflict) { try model.checkAddressAvailable(g2) }
    }

    @Test func groupUpdateSetClearKeep() throws {
        var model = sampleModel()
        var events = try model.apply(.groupUpdate(address: g1, primary: .keep, backup: .set(appID("a3")),
                                                  ifVersion: 1, now: t0 + 1))
        var group = try #require(model.groups[g1])
        #expect(group.primary == appID("a1") && group.backup == appID("a3"))
        #expect(group.version == 2 && group.updated == t0 + 1 && group.created == t0)
        #expect(events == [
            .groupChanged(group), .statusChanged(app: appID("a2"), old: .offline, new: .none),
            .statusChanged(app: appID("a3"), old: .none, new: .offline),
        ])
        // Swapping primary and backup in one update is not a primary == backup conflict.
        events = try model.apply(.groupUpdate(address: g1, primary: .set(appID("a3")), backup: .set(appID("a1")),
                                              ifVersion: 2, now: t0 + 2))
        group = try #require(model.groups[g1])
        #expect(group.primary == appID("a3") && group.backup == appID("a1") && group.version == 3)
        #expect(events.contains(.statusChanged(app: appID("a1"), old: .online, new: .offline)))
        #expect(events.contains(.statusChanged(app: appID("a3"), old: .offline, new: .online)))
        events = try model.apply(.groupUpdate(address: g1, primary: .clear, backup: .keep, ifVersion: nil,
                                              now: t0 + 3))
        #expect(model.groups[g1]?.primary == nil)
        #expect(events.contains(.statusChanged(app: appID("a3"), old: .online, new: .none)))
    }

    @Test func noOpUpdateKeepsVersionAndSerial() throws {
        var model = sampleModel()
        let before = model
        let noOp = Mutation.groupUpdate(address: g1, primary: .set(appID("a1")), backup: .keep, ifVersion: 1,
                                        now: t0 + 9)
        #expect(try !model.validate(noOp))
        #expect(try model.apply(noOp).isEmpty)
        #expect(model == before)
    }

    @Test func groupDeleteAfterClearing() throws {
        var model = sampleModel()
        try model.apply(.groupUpdate(address: g1, primary: .clear, backup: .clear, ifVersion: nil, now: t0 + 1))
        let events = try model.apply(.groupDelete(address: g1))
        #expect(events == [.groupDeleted(g1)])
        #expect(model.groups[g1] == nil && model.tombstones == [g1])
        #expect(try model.apply(.appRemove(appID("a1"))) == [.appRemoved(appID("a1"))])
    }

    @Test func deleteEmitsStatusNoneNever() throws {
        // A group holding apps cannot be deleted, so deleting never flips a status.
        var model = sampleModel()
        expectRefused(.groupDelete(address: g1), on: model, .inUse)
        try model.apply(.groupUpdate(address: g1, primary: .clear, backup: .keep, ifVersion: nil, now: t0))
        expectRefused(.groupDelete(address: g1), on: model, .inUse)
    }

    @Test func codableRoundTrip() throws {
        var model = FailoverModel()
        for mutation in sampleMutations() { try model.apply(mutation) }
        let data = try JournalRecord.encoder.encode(model)
        let decoded = try JSONDecoder().decode(FailoverModel.self, from: data)
        #expect(decoded == model)
        #expect(decoded.membership == model.membership)
        #expect(try JournalRecord.encoder.encode(decoded) == data)
        #expect(decoded.invariantViolation() == nil)
    }

    @Test func mutationCodableRoundTrip() throws {
        for mutation in sampleMutations() + [
            .groupUpdate(address: g1, primary: .clear, backup: .keep, ifVersion: nil, now: 1),
            .groupCancel(address: g1, now: 2),
            .groupSwitch(address: g1, to: .primary, due: 5, requestedAt: 5, requestedBy: nil),
        ] {
            let data = try JournalRecord.encoder.encode(mutation)
            #expect(try JSONDecoder().decode(Mutation.self, from: data) == mutation)
        }
    }
}
