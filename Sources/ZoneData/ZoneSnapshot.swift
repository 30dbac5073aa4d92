import DNSWire

/// Everything a query reads, immutable and published with one atomic swap.
public final class ZoneSnapshot: Sendable {
    public let zone: StaticZone
    /// Wire form of the zone origin, lowercased, for the "in zone?" test.
    public let originWire: [UInt8]
    /// SOA serial served (the zone file's, raised by every committed change).
    public let serial: UInt32
    /// Failover groups; empty when none exist.
    public let groups: GroupTable

    public convenience init(zone: StaticZone, groups: GroupTable? = nil, serial: UInt32? = nil) {
        self.init(zone: zone, originWire: zone.origin.lowercased.wire,
                  groups: groups ?? GroupTable(ttl: 30, answers: [], entries: []), serial: serial ?? zone.serial)
    }

    private init(zone: StaticZone, originWire: [UInt8], groups: GroupTable, serial: UInt32) {
        self.zone = zone
        self.originWire = originWire
        self.serial = serial
        self.groups = groups
    }

    /// The same zone with other groups and serial (after a commit).
    public func replacing(groups: GroupTable, serial: UInt32) -> ZoneSnapshot {
        ZoneSnapshot(zone: zone, originWire: originWire, groups: groups, serial: serial)
    }
}
