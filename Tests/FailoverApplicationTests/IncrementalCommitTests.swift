import DNSWire
import FailoverCore
import Foundation
import Logging
import TestSupport
import Testing
import ZoneData

@testable import FailoverApplication

/// The commit path changes the model in place and the served snapshot
/// piecewise. Random batches of every kind of mutation check that a reverted
/// batch leaves the model exactly as it was, and that the piecewise snapshot
/// answers exactly like one built from scratch.
@Suite struct IncrementalCommitTests {
    static let origin = try! DomainName("cloud66.net")
    static let zone = try! DefaultZone.load(origin: origin)
    static let apps = (0..<12).map { try! AppID("app-\($0)") }
    static let addresses = (0..<30).map { GroupAddress(value: UInt32($0) * 37_000_003 % 1_000_000_000)! }

    static func randomMutation(_ model: FailoverModel, now: Int64, random: inout SeededRandom) -> Mutation {
        let app = apps.randomElement(using: &random)!
        let other = apps.randomElement(using: &random)!
        let address = addresses.randomElement(using: &random)!
        func maybe(_ id: AppID) -> AppID? { random.chance(0.25) ? nil : id }
        switch Int.random(in: 0..<9, using: &random) {
        case 0, 1:
            let head: WebHead?
            switch Int.random(in: 0..<3, using: &random) {
            case 0: head = try! .hostname(validating: "lb-\(Int.random(in: 0..<5, using: &random)).example.net")
            case 1: head = try! .addresses(validating: ["192.0.2.\(Int.random(in: 1..<9, using: &random))", "2001:db8::1"])
            default: head = nil
            }
            return .appPut(try! App(id: app, name: "App \(app.rawValue)", webHead: head))
        case 2: return .appRemove(app)
        case 3: return .groupCreate(address: address, primary: maybe(app), backup: maybe(other), now: now)
        case 4:
            return .groupUpdate(address: address, primary: random.chance(0.5) ? .keep : .set(app),
                                backup: random.chance(0.3) ? .clear : .set(other), ifVersion: nil, now: now)
        case 5, 6:
            let delay = random.chance(0.3) ? 0 : Int64.random(in: 1...60_000, using: &random)
            return .groupSwitch(address: address, to: random.chance(0.5) ? .primary : .backup, due: now + delay,
                                requestedAt: now, requestedBy: nil)
        case 7:
            let due = model.groups[address]?.pending?.due ?? 0
            return random.chance(0.5) ? .switchApply(address: address, expectedDue: due, now: now)
                : .groupCancel(address: address, now: now)
        default:
            return .groupDelete(address: address)
        }
    }

    /// The derived fields agree with the groups they are derived from.
    static func expectConsistent(_ model: FailoverModel, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(model.pendingCount == model.groups.values.filter { $0.pending != nil }.count,
                sourceLocation: sourceLocation)
        for app in apps {
            let holders = Set(model.groups.values.filter { $0.role(of: app) != nil }.map(\.address))
            #expect(model.addresses(referencing: app) == holders, "\(app)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [11 as UInt64, 12, 13])
    func revertedBatchesLeaveNothingBehind(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var model = FailoverModel()
        var reverted = 0
        for round in 0..<400 {
            let before = model
            var undo = FailoverModel.Undo()
            var applied = 0
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                let mutation = Self.randomMutation(model, now: 1_000 * Int64(round), random: &random)
                if let events = try? model.apply(mutation, recordingInto: &undo), !events.isEmpty { applied += 1 }
            }
            #expect(undo.isEmpty == (applied == 0))
            if random.chance(0.4) {
                model.revert(undo)
                #expect(model == before, "round \(round), seed \(seed)")
                reverted += 1
            }
            Self.expectConsistent(model)
        }
        #expect(reverted > 100 && model.groups.count > 3)
    }

    @Test(arguments: [21 as UInt64, 22, 23])
    func piecewiseSnapshotAnswersLikeAFullBuild(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var model = FailoverModel()
        var snapshot = SnapshotBuilder.build(model: model, zone: Self.zone, ttl: 30)
        for round in 0..<400 {
            var events: [ModelEvent] = []
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                let mutation = Self.randomMutation(model, now: 1_000 * Int64(round), random: &random)
                events += (try? model.apply(mutation)) ?? []
            }
            let previous = snapshot
            let update = SnapshotBuilder.update(snapshot, events: events, model: model)
            snapshot = update.snapshot
            let full = SnapshotBuilder.build(model: model, zone: Self.zone, ttl: 30)
            #expect(snapshot.serial == full.serial)
            #expect(snapshot.groups.count == full.groups.count, "round \(round), seed \(seed)")
            for address in Self.addresses.map(\.value) {
                let served = snapshot.groups.find(address)
                let expected = full.groups.find(address)
                #expect(served?.due == expected?.due, "round \(round), seed \(seed), \(address)")
                #expect(served.flatMap { snapshot.groups.answers[$0.answer] }
                            == expected.flatMap { full.groups.answers[$0.answer] },
                        "round \(round), seed \(seed), \(address)")
                // A group whose records changed must be reported as touched.
                let before = previous.groups.find(address)
                let changed = before?.due != served?.due
                    || before.flatMap { previous.groups.answers[$0.answer] } != served.flatMap { snapshot.groups.answers[$0.answer] }
                if changed { #expect(update.touched.contains(address), "round \(round), \(address) not touched") }
            }
        }
        #expect(model.groups.count > 3)
    }
}

/// The fast start: a snapshot read straight from the file answers exactly
/// like one built from the loaded model, and is refused whenever the file
/// is not the whole state.
@Suite struct SnapshotScanTests {
    @Test func scannedSnapshotAnswersLikeTheLoadedModel() throws {
        var random = SeededRandom(seed: 99)
        var model = FailoverModel()
        for round in 0..<600 {
            let mutation = IncrementalCommitTests.randomMutation(model, now: 1_000 * Int64(round), random: &random)
            _ = try? model.apply(mutation)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scan-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let zone = IncrementalCommitTests.zone
        do {
            let (store, _, _) = try StateStore.open(directory: directory)
            try store.compact(model: model)
            // A running daemon holds the directory: the scan must keep out.
            #expect(throws: StateStore.ScanRefusal.self) { try SnapshotBuilder.scan(directory: directory, zone: zone, ttl: 30).get() }
        }
        let scanned = try SnapshotBuilder.scan(directory: directory, zone: zone, ttl: 30).get()
        let full = SnapshotBuilder.build(model: model, zone: zone, ttl: 30)
        #expect(model.groups.count > 5 && model.pendingCount > 0)
        #expect(scanned.serial == full.serial && scanned.groups.count == full.groups.count)
        for address in IncrementalCommitTests.addresses.map(\.value) {
            let served = scanned.groups.find(address)
            let expected = full.groups.find(address)
            #expect(served?.due == expected?.due)
            #expect(served.flatMap { scanned.groups.answers[$0.answer] } == expected.flatMap { full.groups.answers[$0.answer] })
        }

        // Journal records after the snapshot: the file is not the whole state.
        do {
            let (store, _, _) = try StateStore.open(directory: directory)
            try store.append([.groupDelete(address: GroupAddress(value: 1)!)])
        }
        #expect(throws: StateStore.ScanRefusal.self) { try SnapshotBuilder.scan(directory: directory, zone: zone, ttl: 30).get() }
    }

    /// The state loaded behind a fast start keeps the scanned snapshot when
    /// it is what the loaded model serves, and builds its own otherwise.
    @Test func loadedStateKeepsTheScannedSnapshot() async throws {
        var random = SeededRandom(seed: 7)
        var model = FailoverModel()
        for round in 0..<300 {
            _ = try? model.apply(IncrementalCommitTests.randomMutation(model, now: 1_000 * Int64(round), random: &random))
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keep-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let (store, _, _) = try StateStore.open(directory: directory)
            try store.compact(model: model)
        }
        let zone = IncrementalCommitTests.zone
        for ttl in [30 as UInt32, 60] {
            let scanned = try SnapshotBuilder.scan(directory: directory, zone: zone, ttl: 30).get()
            let snapshots = SnapshotStore(ZoneSnapshot(zone: zone))
            let service = try FailoverService(
                stateDirectory: directory, zone: zone, ttl: ttl, defaultDelaySeconds: 0, snapshots: snapshots,
                logger: Logger(label: "test"), scanned: { scanned })
            #expect((snapshots.load() === scanned) == (ttl == 30))
            #expect(snapshots.load().groups.ttl == ttl && snapshots.load().serial == scanned.serial)
            _ = service
        }
    }

    @Test func damagedSnapshotIsNotScanned() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scan-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var model = FailoverModel()
        try model.apply(.appPut(try App(id: try AppID("a"), name: "A", webHead: try .hostname(validating: "lb.example.net"))))
        try model.apply(.groupCreate(address: GroupAddress(value: 7)!, primary: try AppID("a"), backup: nil, now: 1))
        do {
            let (store, _, _) = try StateStore.open(directory: directory)
            try store.compact(model: model)
        }
        let path = directory + "/checkpoint"
        var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        _ = try SnapshotBuilder.scan(directory: directory, zone: IncrementalCommitTests.zone, ttl: 30).get()
        bytes[bytes.count / 2] ^= 1
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        #expect(throws: StateStore.ScanRefusal.self) { try SnapshotBuilder.scan(directory: directory, zone: IncrementalCommitTests.zone, ttl: 30).get() }
    }
}
