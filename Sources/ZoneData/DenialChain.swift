import DNSWire

/// Every owner name that gets an NSEC record, in canonical DNS order
/// (RFC 4034 6.1): the static names with data or a delegation (not empty
/// non-terminals, not names below a zone cut), apex first, merged with the
/// group names, which are kept as an ``AddressOrder``. Answers "which name
/// follows this one" (an NSEC's next name) and "which name's NSEC covers
/// this one" (the proof of a name that does not exist) without listing the
/// chain, and changes with the groups in O(log n) a group.
public struct DenialChain: Sendable, Equatable {
    /// A name of the chain.
    public enum Member: Hashable, Sendable {
        /// The static name at this index of ``staticNames`` (0 is the apex).
        case zoneName(Int)
        /// The group name of this address.
        case group(UInt32)
    }

    /// The zone origin, lowercased.
    public let origin: DomainName
    /// Static names in canonical order, lowercased; the apex first.
    public let staticNames: [DomainName]
    /// The group addresses.
    public private(set) var groups: AddressOrder

    /// The chain of `zone`'s names and the groups at `groups`.
    public init(zone: StaticZone, groups: AddressOrder) {
        origin = zone.origin.lowercased
        let cuts = Set(zone.nodes.filter(\.isDelegation).map { $0.name.lowercased })
        let names = zone.nodes.compactMap { node -> DomainName? in
            guard !node.rrsets.isEmpty else { return nil }
            var above = node.name.lowercased.parent
            while above.wire.count > zone.origin.wire.count {
                if cuts.contains(above) { return nil }
                above = above.parent
            }
            return node.name.lowercased
        }
        staticNames = names.sorted()
        self.groups = groups
    }

    /// The chain with the groups changed.
    public func updating(inserting: some Sequence<UInt32>, removing: some Sequence<UInt32>) -> DenialChain {
        var next = self
        next.groups = groups.updating(inserting: inserting, removing: removing)
        return next
    }

    /// The owner name of `member`.
    public func name(of member: Member) -> DomainName {
        switch member {
        case .zoneName(let index): staticNames[index]
        case .group(let address): try! origin.prepending(label: GroupTable.label(address))
        }
    }

    /// The name after `member` in the chain: the next name of its NSEC
    /// record; the apex after the last name.
    public func next(after member: Member) -> Member {
        let name = name(of: member)
        let nextStatic = firstStaticName(above: name)
        let nextGroup: UInt32? =
            switch member {
            case .group(let address): groups.successor(of: address)
            case .zoneName: firstGroup(above: name)
            }
        return earlier(nextStatic, nextGroup) ?? .zoneName(0)
    }

    /// The last name of the chain at or before `name` (which must be in the
    /// zone): `name` itself when it has an NSEC record, otherwise the name
    /// whose NSEC record proves `name` does not exist.
    public func covering(_ name: DomainName) -> Member {
        let name = name.lowercased
        // The last static name at or before `name`; the apex is before every name in the zone.
        let staticMember = max((firstStaticName(above: name) ?? staticNames.count) - 1, 0)
        let groupMember: UInt32? =
            if let after = firstGroup(above: name) { groups.predecessor(of: after) } else { groups.last }
        guard let groupMember else { return .zoneName(staticMember) }
        return compare(group: groupMember, with: staticNames[staticMember]) < 0
            ? .zoneName(staticMember) : .group(groupMember)
    }

    /// Every name of the chain in order (for a zone transfer, and tests).
    public var members: [Member] {
        var result: [Member] = [.zoneName(0)]
        var member = next(after: .zoneName(0))
        while member != .zoneName(0) {
            result.append(member)
            member = next(after: member)
        }
        return result
    }

    // MARK: Order

    /// The first static name after `name`, or nil.
    private func firstStaticName(above name: DomainName) -> Int? {
        var low = 0
        var high = staticNames.count
        while low < high {
            let middle = (low + high) / 2
            if name < staticNames[middle] { high = middle } else { low = middle + 1 }
        }
        return low < staticNames.count ? low : nil
    }

    /// The first group whose name is after `name`, or nil.
    private func firstGroup(above name: DomainName) -> UInt32? {
        groups.first { compare(group: $0, with: name) > 0 }
    }

    /// The earlier of a static name and a group name, either possibly missing.
    private func earlier(_ staticIndex: Int?, _ group: UInt32?) -> Member? {
        switch (staticIndex, group) {
        case (nil, nil): nil
        case (let index?, nil): .zoneName(index)
        case (nil, let address?): .group(address)
        case (let index?, let address?):
            compare(group: address, with: staticNames[index]) < 0 ? .group(address) : .zoneName(index)
        }
    }

    /// The canonical order of a group name against a lowercased name in the
    /// zone: -1 before, 0 the same, 1 after. The group name is the origin
    /// with one label, so only `name`'s label just below the origin counts,
    /// and a deeper name under an equal label comes after the group's.
    func compare(group address: UInt32, with name: DomainName) -> Int {
        let below = name.wire.count - origin.wire.count
        guard below > 0 else { return 1 }
        // The label just below the origin is the last one before the origin's bytes.
        var start = 0
        while start + 1 + Int(name.wire[start]) < below { start += 1 + Int(name.wire[start]) }
        let label = name.wire[(start + 1)..<(start + 1 + Int(name.wire[start]))]
        let groupLabel = GroupTable.label(address)
        if groupLabel.elementsEqual(label) { return start == 0 ? 0 : -1 }
        return groupLabel.lexicographicallyPrecedes(label) ? -1 : 1
    }
}
