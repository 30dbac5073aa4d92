import DNSWire
import FailoverCore
import ZoneData

/// Turns the failover model and the static zone into the immutable snapshot
/// queries read. Each app's answer sits at its number
/// (``FailoverModel/appNumber(of:)``); a group entry holds the number of its
/// active app, so a web head change replaces one answer and no group entry.
public enum SnapshotBuilder {
    /// Builds the whole snapshot (start-up, reload); O(apps + groups),
    /// rendering answers 64 at a time.
    public static func build(model: FailoverModel, zone: StaticZone, ttl: UInt32) -> ZoneSnapshot {
        let answers = (0..<model.appNumberBound).lazy.map { model.app(number: $0)?.webHead.flatMap(render) }
        var entries: [GroupTable.Entry] = []
        entries.reserveCapacity(model.groups.count)
        model.forEachServedGroup { address, app, due in
            entries.append(GroupTable.Entry(address: address, answer: app, due: due))
        }
        let table = GroupTable(ttl: ttl, answers: AnswerTable(answers), entries: entries)
        return ZoneSnapshot(zone: zone, groups: table, serial: servedSerial(zone: zone, model: model))
    }

    /// The snapshot straight from a state directory whose snapshot file is
    /// the whole state, without loading the model (see
    /// ``StateStore/scanServed(directory:app:group:)``), or why not. The
    /// answer indexes are the apps' numbers in the file, which are the app
    /// numbers of the model loaded from it.
    public static func scan(directory: String, zone: StaticZone, ttl: UInt32) -> Result<ZoneSnapshot, StateStore.ScanRefusal> {
        StateStore.readWholeCheckpoint(directory: directory).flatMap { scan($0, zone: zone, ttl: ttl) }
    }

    /// As ``scan(directory:zone:ttl:)``, from the bytes
    /// ``StateStore/readWholeCheckpoint(directory:)`` read.
    public static func scan(_ bytes: [UInt8], zone: StaticZone, ttl: UInt32) -> Result<ZoneSnapshot, StateStore.ScanRefusal> {
        var answers = AnswerTable.Builder()
        var entries: [GroupTable.Entry] = []
        // Apps behind the same load balancer are rendered once.
        var byHostname: [String: WebHeadAnswer] = [:]
        let serial = StateStore.scanServed(bytes, app: { _, head in
            switch head {
            case .none:
                answers.append(nil)
            case .hostname(let bytes):
                let name = String(decoding: bytes, as: UTF8.self)
                if let shared = byHostname[name] {
                    answers.append(shared)
                } else {
                    let answer = render(.hostname(name))
                    if let answer { byHostname[name] = answer }
                    answers.append(answer)
                }
            case .addresses(let packed):
                answers.append(WebHeadAnswer.addresses(packed: packed))
            }
        }, group: { address, app, due in
            entries.append(GroupTable.Entry(address: address, answer: app, due: due))
        })
        return serial.map { serial in
            let table = GroupTable(ttl: ttl, answers: answers.finish(), entries: entries)
            return ZoneSnapshot(zone: zone, groups: table, serial: servedSerial(zone: zone, modelSerial: serial))
        }
    }

    /// The next snapshot after a committed batch: only the answers and group
    /// entries its events touched are replaced; the rest is shared with
    /// `current`. Also returns the groups whose records may differ.
    static func update(
        _ current: ZoneSnapshot, events: [ModelEvent], model: FailoverModel
    ) -> (snapshot: ZoneSnapshot, touched: Set<UInt32>) {
        var answerChanges: [(index: Int32, answer: WebHeadAnswer?)] = []
        var entryChanges: [GroupTable.Change] = []
        var touched = Set<UInt32>()
        for event in events {
            switch event {
            case .appChanged(let app):
                // Events are read after the whole batch: an app removed later in it has no number, and
                // a later event for the same id comes after this one.
                if let number = model.appNumber(of: app.id) {
                    answerChanges.append((number, app.webHead.flatMap(render)))
                }
                for address in model.addresses(referencing: app.id) { touched.insert(address.value) }
            case .appRemoved:
                // No group holds a removed app; its number is rewritten by the appChanged of the next
                // app that takes it.
                break
            case .groupChanged(let group), .switchScheduled(let group), .switchDone(let group, _),
                .switchCancelled(let group, _):
                entryChanges.append(.put(entry(group, model: model)))
                touched.insert(group.address.value)
            case .groupDeleted(let address):
                entryChanges.append(.remove(address.value))
                touched.insert(address.value)
            case .statusChanged:
                break
            }
        }
        let answers = current.groups.answers.updating(answerChanges)
        let groups = current.groups.updating(answers: answers, entries: entryChanges)
        let snapshot = current.replacing(groups: groups, serial: servedSerial(zone: current.zone, model: model))
        return (snapshot, touched)
    }

    private static func entry(_ group: Group, model: FailoverModel) -> GroupTable.Entry {
        GroupTable.Entry(address: group.address.value, answer: group.activeApp.flatMap { model.appNumber(of: $0) } ?? -1,
                         due: group.pending?.due ?? 0)
    }

    /// The zone file's serial raised by the model's change count (RFC 1982
    /// arithmetic), so every committed change raises what secondaries see. A
    /// new model (serial 1) serves the file's serial unchanged.
    public static func servedSerial(zone: StaticZone, model: FailoverModel) -> UInt32 {
        servedSerial(zone: zone, modelSerial: model.serial)
    }

    static func servedSerial(zone: StaticZone, modelSerial: UInt32) -> UInt32 {
        zone.serial &+ (modelSerial &- 1)
    }

    static func render(_ head: WebHead) -> WebHeadAnswer? {
        switch head {
        case .hostname(let name):
            guard let target = try? DomainName(name) else { return nil }
            return .hostname(target)
        case .addresses(let list):
            return .addresses(list.map(\.bytes))
        }
    }

    /// True when a group address would collide with a static name of the zone.
    public static func isStaticName(_ address: GroupAddress, zone: StaticZone) -> Bool {
        guard let name = try? zone.origin.prepending(label: Array(address.description.utf8)) else { return false }
        return zone.find(name) != nil
    }
}
