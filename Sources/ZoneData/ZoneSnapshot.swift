import DNSWire

/// Everything a query reads, immutable and published with one atomic swap.
public final class ZoneSnapshot: Sendable {
    public let zone: StaticZone
    /// Wire form of the zone origin, lowercased, for the "in zone?" test.
    public let originWire: [UInt8]
    public let serial: UInt32

    public init(zone: StaticZone) {
        self.zone = zone
        self.originWire = zone.origin.lowercased.wire
        self.serial = zone.serial
    }
}
