import Foundation
import TestSupport
import Testing

@testable import FailoverCore

/// The packed stores behind ``FailoverModel``, checked against plain
/// dictionaries kept from the mutations' events: random sequences of every
/// kind of mutation, slab reuse, index growth and shrinkage, membership
/// lists, reverts, and round trips through both snapshot formats.
@Suite struct PackedStoreTests {
    static let apps = (0..<40).map { appID("app-\($0)") }
    static let addresses = (0..<120).map { GroupAddress(value: UInt32($0) * 8_191_003 % 1_000_000_000)! }

    /// What the model should hold, kept from events alone.
    struct Reference {
        var apps: [AppID: App] = [:]
        var groups: [GroupAddress: Group] = [:]
        var tombstones: Set<GroupAddress> = []

        mutating func record(_ events: [ModelEvent]) {
            for event in events {
                switch event {
                case .appChanged(let app): apps[app.id] = app
                case .appRemoved(let id): apps[id] = nil
                case .groupChanged(let group), .switchScheduled(let group), .switchDone(let group, _),
                    .switchCancelled(let group, _):
                    groups[group.address] = group
                case .groupDeleted(let address):
                    groups[address] = nil
                    tombstones.insert(address)
                case .statusChanged:
                    break
                }
            }
        }

        func addresses(referencing app: AppID) -> Set<GroupAddress> {
            Set(groups.values.filter { $0.role(of: app) != nil }.map(\.address))
        }
    }

    static func randomMutation(now: Int64, random: inout SeededRandom) -> Mutation {
        let app = apps.randomElement(using: &random)!
        let other = apps.randomElement(using: &random)!
        let address = addresses.randomElement(using: &random)!
        func maybe(_ id: AppID) -> AppID? { random.chance(0.2) ? nil : id }
        switch Int.random(in: 0..<10, using: &random) {
        case 0, 1:
            let head: WebHead?
            switch Int.random(in: 0..<3, using: &random) {
            case 0:
                // Hostnames of different lengths: records are rewritten in place or moved.
                let label = String(repeating: "x", count: Int.random(in: 1...40, using: &random))
                head = try! .hostname(validating: "\(label).example.net")
            case 1:
                let count = Int.random(in: 1...4, using: &random)
                head = try! .addresses(validating: (0..<count).map { "192.0.2.\($0 + 1)" } + ["2001:db8::\(count)"])
            default:
                head = nil
            }
            let name = "App \(app.rawValue) " + String(repeating: "n", count: Int.random(in: 0...30, using: &random))
            return .appPut(try! App(id: app, name: name, webHead: head))
        case 2:
            return .appRemove(app)
        case 3:
            return .groupCreate(address: address, primary: maybe(app), backup: maybe(other), now: now)
        case 4:
            return .groupUpdate(address: address, primary: random.chance(0.5) ? .keep : .set(app),
                                backup: random.chance(0.3) ? .clear : .set(other), ifVersion: nil, now: now)
        case 5:
            return .groupUpdate(address: address, primary: .clear, backup: .clear, ifVersion: nil, now: now)
        case 6, 7:
            let delay = random.chance(0.3) ? 0 : Int64.random(in: 1...60_000, using: &random)
            return .groupSwitch(address: address, to: random.chance(0.5) ? .primary : .backup, due: now + delay,
                                requestedAt: now, requestedBy: random.chance(0.5) ? nil : "ops")
        case 8:
            return .groupCancel(address: address, now: now)
        default:
            return .groupDelete(address: address)
        }
    }

    /// Every query of the model agrees with the reference.
    static func expectAgrees(_ model: FailoverModel, _ reference: Reference, _ context: String,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(model.apps.count == reference.apps.count, "\(context)", sourceLocation: sourceLocation)
        #expect(model.groups.count == reference.groups.count, "\(context)", sourceLocation: sourceLocation)
        #expect(model.tombstones == reference.tombstones, "\(context)", sourceLocation: sourceLocation)
        #expect(Dictionary(uniqueKeysWithValues: model.apps.map { ($0.key, $0.value) }) == reference.apps,
                "\(context)", sourceLocation: sourceLocation)
        #expect(Dictionary(uniqueKeysWithValues: model.groups.map { ($0.key, $0.value) }) == reference.groups,
                "\(context)", sourceLocation: sourceLocation)
        for address in addresses {
            #expect(model.groups[address] == reference.groups[address], "\(context) \(address)",
                    sourceLocation: sourceLocation)
        }
        for app in apps {
            #expect(model.apps[app] == reference.apps[app], "\(context) \(app)", sourceLocation: sourceLocation)
            let holders = reference.addresses(referencing: app)
            #expect(model.addresses(referencing: app) == holders, "\(context) \(app)", sourceLocation: sourceLocation)
            let following = holders.sorted().filter { reference.groups[$0]!.activeApp == app }
            let state: AppState = holders.isEmpty ? .none : following.isEmpty ? .offline : .online
            #expect(model.state(of: app) == state, "\(context) \(app)", sourceLocation: sourceLocation)
            #expect(model.status(of: app).groups.map(\.address) == holders.sorted(), sourceLocation: sourceLocation)
            #expect(model.groups(following: app).map(\.address) == following, sourceLocation: sourceLocation)
        }
        let pending = reference.groups.values.filter { $0.pending != nil }
            .sorted { ($0.pending!.due, $0.address) < ($1.pending!.due, $1.address) }
        #expect(model.pendingCount == pending.count, "\(context)", sourceLocation: sourceLocation)
        #expect(model.pendingSwitches == pending, "\(context)", sourceLocation: sourceLocation)
        #expect(model.nextDue?.address == pending.first?.address, "\(context)", sourceLocation: sourceLocation)
        if let middle = pending.dropFirst(pending.count / 2).first?.pending?.due {
            #expect(model.dueSwitches(atOrBefore: middle) == pending.filter { $0.pending!.due <= middle },
                    sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [1 as UInt64, 2, 3, 4])
    func randomMutationsAgreeWithDictionaries(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        var model = FailoverModel()
        var reference = Reference()
        for round in 0..<1_500 {
            let mutation = Self.randomMutation(now: 1_000 * Int64(round), random: &random)
            let before = model
            do {
                reference.record(try model.apply(mutation))
            } catch {
                #expect(model == before, "seed \(seed), round \(round): a refused \(mutation) changed the model")
            }
            if round % 50 == 0 { Self.expectAgrees(model, reference, "seed \(seed), round \(round)") }
        }
        Self.expectAgrees(model, reference, "seed \(seed), end")
        #expect(model.invariantViolation() == nil)
        #expect(model.groups.count > 10 && model.apps.count > 10 && !model.tombstones.isEmpty)
    }

    @Test(arguments: [5 as UInt64, 6])
    func revertedBatchesRestoreEveryStore(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        var model = FailoverModel()
        var reference = Reference()
        for round in 0..<300 {
            let before = model
            let referenceBefore = reference
            var undo = FailoverModel.Undo()
            for _ in 0..<Int.random(in: 1...12, using: &random) {
                let mutation = Self.randomMutation(now: 1_000 * Int64(round), random: &random)
                if let events = try? model.apply(mutation, recordingInto: &undo) { reference.record(events) }
            }
            if random.chance(0.5) {
                model.revert(undo)
                reference = referenceBefore
                #expect(model == before, "seed \(seed), round \(round)")
                #expect(model.membership == before.membership, "seed \(seed), round \(round)")
            }
            if round % 25 == 0 { Self.expectAgrees(model, reference, "seed \(seed), round \(round)") }
        }
        Self.expectAgrees(model, reference, "seed \(seed), end")
    }

    /// Apps in normal form take the load's quick path (written straight into the arena, hashed from the id
    /// bytes): after it every app is found by its id, and a later change of one replaces it.
    @Test func appsLoadedTheQuickWayAreFoundByID() throws {
        var model = FailoverModel()
        for index in 0..<3_000 {
            let head: WebHead? = switch index % 3 {
            case 0: try WebHead.hostname(validating: "lb\(index).example.net")
            case 1: try WebHead.addresses(validating: ["192.0.2.\(index % 250 + 1)", "2001:db8::\(index)"])
            default: nil
            }
            try model.apply(.appPut(try App(id: appID("app-\(index)"), name: "App \(index)", webHead: head)))
        }
        var decoded = try CheckpointFile.decode(CheckpointFile(journalSeq: 1, model: model).encoded(), path: "c").model
        for index in 0..<3_000 {
            let id = appID("app-\(index)")
            #expect(decoded.apps[id] == model.apps[id] && decoded.apps[id] != nil, "\(id)")
        }
        try decoded.apply(.appPut(makeApp("app-17", name: "Renamed")))
        #expect(decoded.apps.count == 3_000 && decoded.apps[appID("app-17")]?.name == "Renamed")
    }

    @Test(arguments: [7 as UInt64, 8])
    func bothSnapshotFormatsRoundTrip(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        var model = FailoverModel()
        for round in 0..<800 {
            _ = try? model.apply(Self.randomMutation(now: 1_000 * Int64(round), random: &random))
        }
        let binary = CheckpointFile(journalSeq: 9, model: model).encoded()
        let decoded = try CheckpointFile.decode(binary, path: "snapshot").model
        #expect(decoded == model)
        #expect(decoded.membership == model.membership)
        #expect(CheckpointFile(journalSeq: 9, model: decoded).encoded() == binary)
        // After a load, app numbers follow the file: apps sorted by id.
        let sorted = model.apps.keys.sorted()
        #expect(sorted.map { decoded.appNumber(of: $0) } == sorted.indices.map { Int32($0) })

        let json = try JournalRecord.encoder.encode(model)
        let fromJSON = try JSONDecoder().decode(FailoverModel.self, from: json)
        #expect(fromJSON == model)
        #expect(fromJSON.membership == model.membership)
        #expect(try JournalRecord.encoder.encode(fromJSON) == json)
    }

    @Test func freedRowsAreReused() throws {
        var model = FailoverModel()
        for id in ["a1", "a2", "a3"] { try model.apply(.appPut(makeApp(id))) }
        let freed = try #require(model.appNumber(of: appID("a2")))
        try model.apply(.appRemove(appID("a2")))
        #expect(model.appNumber(of: appID("a2")) == nil && model.apps[appID("a2")] == nil)
        try model.apply(.appPut(makeApp("a4")))
        #expect(model.appNumber(of: appID("a4")) == freed && model.appNumberBound == 3)

        try model.apply(.groupCreate(address: g1, primary: appID("a1"), backup: nil, now: t0))
        try model.apply(.groupCreate(address: g2, primary: appID("a3"), backup: appID("a4"), now: t0))
        let row = try #require(model.groupStore.row(of: g1))
        try model.apply(.groupUpdate(address: g1, primary: .clear, backup: .keep, ifVersion: nil, now: t0))
        try model.apply(.groupDelete(address: g1))
        let g3 = address("100-000-003")
        try model.apply(.groupCreate(address: g3, primary: appID("a4"), backup: appID("a1"), now: t0))
        #expect(model.groupStore.row(of: g3) == row && model.groupStore.rows.count == 2)
        #expect(model.addresses(referencing: appID("a4")) == [g2, g3])
        #expect(model.groups[g3]?.version == 1 && model.groups[g3]?.pending == nil)
    }

    @Test func indexesGrowAndShrink() throws {
        var model = FailoverModel()
        let count = 5_000
        let ids = (0..<count).map { appID("grow-\($0)") }
        for id in ids { try model.apply(.appPut(try App(id: id, name: "n", webHead: nil))) }
        let addresses = (0..<count).map { GroupAddress(value: UInt32($0) &* 2_654_435 % 1_000_000_000)! }
        for (index, address) in addresses.enumerated() {
            try model.apply(.groupCreate(address: address, primary: ids[index], backup: nil, now: t0))
        }
        #expect(model.apps.count == count && model.groups.count == count)
        // Take out every third, in an order unrelated to insertion: backward shifts keep the rest reachable.
        var random = SeededRandom(seed: 99)
        let gone = Set((0..<count).filter { $0 % 3 == 0 }.shuffled(using: &random))
        for index in gone {
            try model.apply(.groupUpdate(address: addresses[index], primary: .clear, backup: .keep, ifVersion: nil,
                                         now: t0))
            try model.apply(.groupDelete(address: addresses[index]))
            try model.apply(.appRemove(ids[index]))
        }
        for index in 0..<count {
            #expect((model.groups[addresses[index]] != nil) == !gone.contains(index))
            #expect((model.apps[ids[index]] != nil) == !gone.contains(index))
        }
        #expect(model.apps.count == count - gone.count && model.tombstones.count == gone.count)
    }

    @Test func arenaCompactsAfterManyRewrites() throws {
        var model = FailoverModel()
        let ids = (0..<100).map { appID("arena-\($0)") }
        // Each round moves every record (its length changes), leaving the old bytes as garbage.
        for round in 0..<600 {
            for id in ids {
                let name = String(repeating: "n", count: 100 + round % 97)
                try model.apply(.appPut(try App(id: id, name: name, webHead: try .hostname(validating: "lb.example.net"))))
            }
        }
        for id in ids { #expect(model.apps[id]?.name.count == 100 + 599 % 97) }
        // About 9 MB were written; compaction keeps the arena within a seventh over the live bytes (plus the 1 MiB floor).
        #expect(model.storageBytes.apps < 4 << 20)
    }

    /// However records move, garbage never passes an eighth of the arena
    /// (above the 1 MiB floor): memory under sustained changes swings by at
    /// most that much.
    @Test func arenaGarbageStaysWithinAnEighth() throws {
        var model = FailoverModel()
        let ids = (0..<60_000).map { appID("bound-\($0)") }
        var random = SeededRandom(seed: 5)
        var worst = 0.0
        var compactions = 0
        for round in 0..<3 {
            for id in ids {
                // Names grow a little each round, as renames do: old places rarely fit again.
                let name = String(repeating: "n", count: 120 + round * 20 + Int.random(in: 0..<20, using: &random))
                let before = model.appStore.arenaUsage.garbage
                try model.apply(.appPut(try App(id: id, name: name, webHead: try .hostname(validating: "lb.example.net"))))
                let usage = model.appStore.arenaUsage
                if usage.garbage < before { compactions += 1 }
                if usage.garbage > 1 << 20 {
                    worst = max(worst, Double(usage.garbage) / Double(usage.bytes))
                    #expect(usage.garbage * 8 <= usage.bytes + 8, "garbage \(usage.garbage) of \(usage.bytes)")
                }
            }
        }
        #expect(compactions >= 2 && worst > 0.1, "the bound was not approached: \(compactions) passes, worst \(worst)")
    }

    /// An app put again and again with web heads of a few lengths reuses
    /// the places its old records left: the arena does not grow.
    @Test func freedArenaPlacesAreReused() throws {
        var model = FailoverModel()
        let ids = (0..<1_000).map { appID("reuse-\($0)") }
        let heads = [try WebHead.hostname(validating: "lb-1.example.net"), try WebHead.addresses(validating: ["192.0.2.1"]),
                     try WebHead.addresses(validating: ["192.0.2.1", "2001:db8::1"])]
        for id in ids { try model.apply(.appPut(try App(id: id, name: "App", webHead: heads[0]))) }
        let before = model.storageBytes.apps
        for round in 1..<300 {
            for (index, id) in ids.enumerated() {
                try model.apply(.appPut(try App(id: id, name: "App \(round % 3)", webHead: heads[(round + index) % 3])))
            }
        }
        for (index, id) in ids.enumerated() { #expect(model.apps[id]?.webHead == heads[(299 + index) % 3]) }
        // Without reuse 300 rounds write about 10 MB (compacted at half garbage past the 1 MiB floor).
        #expect(model.storageBytes.apps < before + 256 << 10)
    }

    @Test func groupsReferencingMissingAppsKeepTheirIDs() {
        let ghost = appID("ghost")
        let group = Group(address: g1, primary: ghost, backup: ghost, created: t0, updated: t0)
        var model = FailoverModel(apps: [makeApp("a1")], groups: [group], tombstones: [], serial: 3)
        #expect(model.apps.count == 1 && model.apps[ghost] == nil && model.groups[g1] == group)
        #expect(model.addresses(referencing: ghost) == [g1] && model.status(of: ghost).groups.count == 1)
        #expect(model.invariantViolation()?.contains("ghost") == true)
        // Once no group holds it, the bare id is gone; an app of that id is an app again.
        model.setGroup(Group(address: g1, primary: nil, backup: nil, created: t0, updated: t0))
        #expect(model.appStore.slot(of: ghost) == nil)
        model.putApp(makeApp("ghost"))
        #expect(model.apps.count == 2 && model.apps[ghost] == makeApp("ghost"))
    }

    @Test func appRowsPackOffsetAndLength() {
        var row = AppStore.Row(offset: 1 << 45 + 12_345, length: 1_205, members: 9)
        #expect(row.offset == 1 << 45 + 12_345 && row.length == 1_205 && row.members == 9)
        row.offset = (1 << 32) - 1
        row.length = 0
        #expect(row.offset == (1 << 32) - 1 && row.length == 0 && MemoryLayout<AppStore.Row>.stride == 12)
    }

    @Test func largeVersionsAreKeptExactly() {
        var model = FailoverModel()
        model.putApp(makeApp("a1"))
        for version in [UInt64(1) << 31 - 2, 1 << 31 - 1, 1 << 31, .max] {
            let group = Group(address: g1, primary: appID("a1"), backup: nil, active: .primary, version: version,
                              created: t0, updated: t0)
            model.setGroup(group)
            #expect(model.groups[g1] == group)
        }
    }

    /// Times are kept in 48 bits in the row, and any other in a side table.
    @Test func timesOutsideFortyEightBitsAreKeptExactly() throws {
        var model = FailoverModel()
        model.putApp(makeApp("a1"))
        let edge = Int64(1) << 47
        let times: [Int64] = [0, -1, t0, edge - 1, edge, -edge, -edge + 5, -edge - 1, .max, .min, 1 << 32, -(1 << 32)]
        for created in times {
            for updated in times {
                let group = Group(address: g1, primary: appID("a1"), backup: nil, active: .primary, version: 1,
                                  created: created, updated: updated)
                model.setGroup(group)
                #expect(model.groups[g1] == group)
            }
        }
        let decoded = try CheckpointFile.decode(CheckpointFile(journalSeq: 1, model: model).encoded(), path: "/s").model
        #expect(decoded == model)
    }
}
