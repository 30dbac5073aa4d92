extension FailoverModel {
    /// Random draws before giving up; with a billion addresses a miss is only likely when nearly all are taken.
    static let allocationAttempts = 10_000

    /// Picks a random address that is not in use, not tombstoned and not reserved.
    ///
    /// - Parameter isReserved: true for addresses that collide with static names of the zone.
    public func allocateAddress<Generator: RandomNumberGenerator>(
        using generator: inout Generator, isReserved: (GroupAddress) -> Bool = { _ in false }
    ) throws(FailoverError) -> GroupAddress {
        try allocateAddress(drawing: { UInt32.random(in: 0...GroupAddress.maxValue, using: &generator) },
                            isReserved: isReserved)
    }

    /// Picks a random address with the system generator.
    ///
    /// Not through the generic form: ThreadSanitizer's instrumentation of a generic `inout`
    /// access crashes when the argument is an empty struct such as SystemRandomNumberGenerator
    /// (swiftlang/swift#66099), and `make tsan` runs the daemon.
    public func allocateAddress(isReserved: (GroupAddress) -> Bool = { _ in false }) throws(FailoverError)
        -> GroupAddress
    {
        try allocateAddress(drawing: { UInt32.random(in: 0...GroupAddress.maxValue) }, isReserved: isReserved)
    }

    private func allocateAddress(
        drawing draw: () -> UInt32, isReserved: (GroupAddress) -> Bool
    ) throws(FailoverError) -> GroupAddress {
        for _ in 0..<Self.allocationAttempts {
            let candidate = GroupAddress(value: draw())!
            if isFree(candidate, isReserved: isReserved) { return candidate }
        }
        throw .unavailable("no free group address found after \(Self.allocationAttempts) random draws")
    }

    /// Throws `conflict` if `address` (given by the caller, e.g. a migration) cannot be used for a new group.
    public func checkAddressAvailable(
        _ address: GroupAddress, isReserved: (GroupAddress) -> Bool = { _ in false }
    ) throws(FailoverError) {
        if groups[address] != nil { throw .conflict("group \(address) already exists") }
        if tombstones.contains(address) {
            throw .conflict("address \(address) belonged to a deleted group and is never reused")
        }
        if isReserved(address) { throw .conflict("address \(address) is a static name of the zone") }
    }

    private func isFree(_ address: GroupAddress, isReserved: (GroupAddress) -> Bool) -> Bool {
        groups[address] == nil && !tombstones.contains(address) && !isReserved(address)
    }
}
