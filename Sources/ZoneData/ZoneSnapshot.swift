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

    public init(zone: StaticZone, groups: GroupTable? = nil, serial: UInt32? = nil) {
        self.zone = zone
        self.originWire = zone.origin.lowercased.wire
        self.serial = serial ?? zone.serial
        self.groups = groups ?? GroupTable(ttl: 30, answers: [], entries: [])
    }
}
