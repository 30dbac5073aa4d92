import DNSWire
import FailoverCore
import ZoneData

/// Turns the failover model and the static zone into the immutable snapshot
/// queries read. Answers are rendered once per app and shared by its groups.
public enum SnapshotBuilder {
    public static func build(model: FailoverModel, zone: StaticZone, ttl: UInt32) -> ZoneSnapshot {
        var answers: [WebHeadAnswer] = []
        var answerIndex: [AppID: Int32] = [:]
        answers.reserveCapacity(model.apps.count)
        for (id, app) in model.apps {
            guard let head = app.webHead, let answer = render(head) else { continue }
            answerIndex[id] = Int32(answers.count)
            answers.append(answer)
        }
        var entries: [GroupTable.Entry] = []
        entries.reserveCapacity(model.groups.count)
        for (address, group) in model.groups {
            let answer = group.activeApp.flatMap { answerIndex[$0] } ?? -1
            entries.append(GroupTable.Entry(address: address.value, answer: answer, due: group.pending?.due ?? 0))
        }
        let table = GroupTable(ttl: ttl, answers: answers, entries: entries)
        return ZoneSnapshot(zone: zone, groups: table, serial: servedSerial(zone: zone, model: model))
    }

    /// The zone file's serial raised by the model's change count (RFC 1982
    /// arithmetic), so every committed change raises what secondaries see. A
    /// new model (serial 1) serves the file's serial unchanged.
    public static func servedSerial(zone: StaticZone, model: FailoverModel) -> UInt32 {
        zone.serial &+ (model.serial &- 1)
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
