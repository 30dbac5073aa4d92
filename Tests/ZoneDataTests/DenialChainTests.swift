import DNSWire
import TestSupport
import Testing

@testable import ZoneData

/// The NSEC chain's order, kept incrementally, against the same chain built
/// from scratch by sorting every name with the generic canonical order.
@Suite struct DenialChainTests {
    static let origin = try! DomainName("Fail.Example.")

    /// Static names around and between group labels: '*', '-', '_' and
    /// letters, digits that look like a group label, deeper names, a zone
    /// cut with glue below it, and an empty non-terminal.
    static let zoneText = """
        $TTL 300
        @ IN SOA ns1 hostmaster 2026120701 3600 900 1209600 60
        @ IN NS ns1
        ns1 IN A 192.0.2.1
        www IN A 192.0.2.2
        _dmarc IN TXT "v=DMARC1"
        0 IN TXT "digit"
        500-000-000x IN TXT "almost a group"
        x.300-000-000 IN TXT "below a group label"
        a.b.deep IN TXT "leaves deep and b.deep as empty non-terminals"
        sub IN NS ns.sub
        ns.sub IN A 192.0.2.9
        zzz IN TXT "last"

        """

    static func zone() throws -> StaticZone {
        try ZoneFileLoader.load(text: zoneText, origin: origin)
    }

    static func groupName(_ address: UInt32) -> DomainName {
        try! origin.lowercased.prepending(label: GroupTable.label(address))
    }

    /// The names that get an NSEC record, from the zone as text: what the chain must hold besides the groups.
    static let staticNames = [
        "fail.example.", "ns1.fail.example.", "www.fail.example.", "_dmarc.fail.example.", "0.fail.example.",
        "500-000-000x.fail.example.", "x.300-000-000.fail.example.", "a.b.deep.fail.example.",
        "sub.fail.example.", "zzz.fail.example.",
    ].map { try! DomainName($0) }

    /// A random address, often near the static names that look like group labels.
    static func randomAddress(_ random: inout SeededRandom) -> UInt32 {
        switch Int.random(in: 0..<4, using: &random) {
        case 0: UInt32.random(in: 299_999_990...300_000_010, using: &random)
        case 1: UInt32.random(in: 499_999_990...500_000_010, using: &random)
        case 2: UInt32.random(in: 0...20, using: &random)
        default: UInt32.random(in: 0...999_999_999, using: &random)
        }
    }

    @Test func groupLabelsSortAsTheirNumbers() {
        var random = SeededRandom(seed: 11)
        for _ in 0..<2_000 {
            let a = Self.randomAddress(&random)
            let b = Self.randomAddress(&random)
            #expect((Self.groupName(a) < Self.groupName(b)) == (a < b), "\(a) \(b)")
        }
    }

    @Test func addressOrderKeptIncrementallyMatchesOneBuiltFromScratch() {
        var random = SeededRandom(seed: 7)
        var order = AddressOrder()
        var reference = Set<UInt32>()
        for round in 0..<300 {
            // Bursts into a narrow range split runs; bursts of removals empty them.
            let narrow = round % 3 == 0
            var inserted: [UInt32] = []
            var removed: [UInt32] = []
            for _ in 0..<Int.random(in: 1...400, using: &random) {
                let address = narrow ? UInt32.random(in: 1_000...3_000, using: &random) : Self.randomAddress(&random)
                if random.chance(round % 2 == 0 ? 0.7 : 0.3) { inserted.append(address) } else { removed.append(address) }
            }
            order = order.updating(inserting: inserted, removing: removed)
            reference.subtract(removed)
            reference.formUnion(inserted)
            let sorted = reference.sorted()
            // Compared as Bools: a failure prints the first difference, not thousands of addresses.
            let held = Array(order.addresses)
            let same = held == sorted
            #expect(same, "first difference at \(held.indices.first { $0 >= sorted.count || held[$0] != sorted[$0] } ?? held.count)")
            #expect(order.count == sorted.count)
            let equalToRebuilt = order == AddressOrder(reference)
            #expect(equalToRebuilt)
            for _ in 0..<20 {
                let probe = random.chance(0.5) ? (sorted.randomElement(using: &random) ?? 0) : Self.randomAddress(&random)
                #expect(order.contains(probe) == reference.contains(probe))
                #expect(order.successor(of: probe) == sorted.first { $0 > probe })
                #expect(order.atOrAbove(probe) == sorted.first { $0 >= probe })
                #expect(order.predecessor(of: probe) == sorted.last { $0 < probe })
                #expect(order.first { $0 > probe } == sorted.first { $0 > probe })
            }
        }
    }

    @Test func chainKeptIncrementallyMatchesOneBuiltFromScratch() throws {
        let zone = try Self.zone()
        var random = SeededRandom(seed: 3)
        var chain = DenialChain(zone: zone, groups: AddressOrder())
        #expect(chain.staticNames.sorted() == chain.staticNames)
        #expect(Set(chain.staticNames) == Set(Self.staticNames))
        var groups = Set<UInt32>()
        for _ in 0..<60 {
            var inserted: [UInt32] = []
            var removed: [UInt32] = []
            for _ in 0..<Int.random(in: 1...30, using: &random) {
                let address = Self.randomAddress(&random)
                if random.chance(0.6) { inserted.append(address) } else { removed.append(address) }
            }
            chain = chain.updating(inserting: inserted, removing: removed)
            groups.subtract(removed)
            groups.formUnion(inserted)

            let expected = (Self.staticNames + groups.map(Self.groupName)).sorted()
            #expect(chain == DenialChain(zone: zone, groups: AddressOrder(groups)))
            let members = chain.members
            #expect(members.map(chain.name(of:)) == expected)
            // Each name's NSEC points at the next one, the last at the apex.
            for (index, member) in members.enumerated() {
                #expect(chain.name(of: chain.next(after: member)) == expected[(index + 1) % expected.count])
                #expect(chain.covering(chain.name(of: member)) == member)
            }
            // A name that does not exist is covered by the last name before it.
            for _ in 0..<40 {
                let probe = try Self.probeName(&random, groups: groups)
                guard !expected.contains(probe) else { continue }
                let before = expected.last { $0 < probe }!
                #expect(chain.name(of: chain.covering(probe)) == before, "\(probe)")
            }
        }
    }

    /// Names that do not exist, near the ones that do: the wildcard, group-like
    /// labels, names below groups, upper case.
    static func probeName(_ random: inout SeededRandom, groups: Set<UInt32>) throws -> DomainName {
        let label = String(decoding: GroupTable.label(Self.randomAddress(&random)), as: UTF8.self)
        let existing = groups.randomElement(using: &random).map { String(decoding: GroupTable.label($0), as: UTF8.self) }
        let choices = [
            "*", label, "\(label)a", "x.\(label)", "\(existing ?? label)-", "y.\(existing ?? label)", "aaa", "ZZZZ",
            "x.sub0", "\(label.prefix(5))", "_a", "-", "a.www", "b.deep", "c.b.deep",
        ]
        return try DomainName(choices.randomElement(using: &random)! + ".fail.example.")
    }
}
