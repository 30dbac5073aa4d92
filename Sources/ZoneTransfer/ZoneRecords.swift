import DNSWire
import ZoneData

/// The zone as records, for transfers: the static data and every group,
/// rendered from the snapshot. A pure function of the snapshot, so one serial
/// always has one content (IXFR depends on it).
public enum ZoneRecords {
    /// TTL a group's records carry in transfers: the configured TTL, or while
    /// a switch is pending, at most `pendingTTL` (secondaries cannot count
    /// down per query, so caches fed by them expire within `pendingTTL` of
    /// the new data reaching them).
    public static func groupTTL(configured: UInt32, due: Int64, pendingTTL: UInt32) -> UInt32 {
        due > 0 ? min(configured, pendingTTL) : configured
    }

    /// The apex SOA with the snapshot's serial.
    public static func soa(_ snapshot: ZoneSnapshot) -> ResourceRecord {
        let zone = snapshot.zone
        var rdata = zone.soa.rdatas[0]
        SOAFields.setSerial(snapshot.serial, in: &rdata)
        return ResourceRecord(name: zone.origin, type: .soa, ttl: zone.soa.ttl, rdata: rdata)
    }

    /// Every record except the apex SOA: static names, then groups.
    public static func all(_ snapshot: ZoneSnapshot, pendingTTL: UInt32) -> [ResourceRecord] {
        var records: [ResourceRecord] = []
        for node in snapshot.zone.nodes {
            for rrset in node.rrsets where rrset.type != .soa {
                for rdata in rrset.rdatas {
                    records.append(ResourceRecord(name: node.name, type: rrset.type, ttl: rrset.ttl, rdata: rdata))
                }
            }
        }
        snapshot.groups.forEach { address, answer, due in
            records += group(address, answer: answer, due: due, snapshot: snapshot, pendingTTL: pendingTTL)
        }
        return records
    }

    /// The records of one group (none when it has no active web head).
    public static func group(_ address: UInt32, snapshot: ZoneSnapshot, pendingTTL: UInt32) -> [ResourceRecord] {
        guard let entry = snapshot.groups.find(address) else { return [] }
        return group(address, answer: entry.answer, due: entry.due, snapshot: snapshot, pendingTTL: pendingTTL)
    }

    static func group(_ address: UInt32, answer: Int32, due: Int64, snapshot: ZoneSnapshot, pendingTTL: UInt32)
        -> [ResourceRecord]
    {
        guard let rendered = snapshot.groups.answers[answer],
            let name = try? snapshot.zone.origin.prepending(label: GroupTable.label(address))
        else {
            return []
        }
        let ttl = groupTTL(configured: snapshot.groups.ttl, due: due, pendingTTL: pendingTTL)
        return rendered.rdatas.map {
            ResourceRecord(name: name, type: $0.type, ttl: ttl, rdata: $0.rdata)
        }
    }

    /// What changed for some groups between two snapshots.
    public static func difference(from old: ZoneSnapshot, to new: ZoneSnapshot, groups: Set<UInt32>,
                                  pendingTTL: UInt32) -> (removed: [ResourceRecord], added: [ResourceRecord]) {
        var removed: [ResourceRecord] = []
        var added: [ResourceRecord] = []
        for address in groups.sorted() {
            let before = group(address, snapshot: old, pendingTTL: pendingTTL)
            let after = group(address, snapshot: new, pendingTTL: pendingTTL)
            removed += before.filter { !after.contains($0) }
            added += after.filter { !before.contains($0) }
        }
        return (removed, added)
    }
}
