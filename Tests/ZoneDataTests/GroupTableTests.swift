import DNSWire
import TestSupport
import Testing

@testable import ZoneData

/// The persistent group table against a plain dictionary: every update gives
/// the same lookups as the dictionary, and older tables never change.
@Suite struct GroupTableTests {
    static func answer(_ n: Int) -> WebHeadAnswer {
        .addresses([[10, 0, UInt8(n >> 8 & 255), UInt8(n & 255)]])
    }

    func expectSame(_ table: GroupTable, _ expected: [UInt32: GroupTable.Entry], probes: [UInt32],
                    sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(table.count == expected.count, sourceLocation: sourceLocation)
        for address in probes {
            let found = table.find(address)
            let want = expected[address]
            #expect(found?.answer == want?.answer && found?.due == want?.due, "address \(address)",
                    sourceLocation: sourceLocation)
        }
        var seen = 0
        table.forEach { address, answer, due in
            seen += 1
            #expect(expected[address]?.answer == answer && expected[address]?.due == due,
                    sourceLocation: sourceLocation)
        }
        #expect(seen == expected.count, sourceLocation: sourceLocation)
    }

    @Test(arguments: [1 as UInt64, 2, 3])
    func randomUpdatesMatchADictionary(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        // A small key space makes long probe runs, removals inside them and
        // wrap-around at the end of the table common.
        let keySpace = UInt32(3_000)
        var expected: [UInt32: GroupTable.Entry] = [:]
        var table = GroupTable(ttl: 30, answers: [], entries: [])
        var history: [(GroupTable, [UInt32: GroupTable.Entry])] = []
        for round in 0..<300 {
            var changes: [GroupTable.Change] = []
            for _ in 0..<Int.random(in: 1...40, using: &random) {
                let address = UInt32.random(in: 0..<keySpace, using: &random) * 333_667 % 1_000_000_000
                if random.chance(0.35) {
                    changes.append(.remove(address))
                    expected[address] = nil
                } else {
                    let entry = GroupTable.Entry(address: address, answer: Int32.random(in: -1..<50, using: &random),
                                                 due: random.chance(0.2) ? Int64(round + 1) : 0)
                    changes.append(.put(entry))
                    expected[address] = entry
                }
            }
            table = table.updating(answers: table.answers, entries: changes)
            if round % 50 == 0 { history.append((table, expected)) }
        }
        let probes = (0..<keySpace).map { $0 * 333_667 % 1_000_000_000 }
        expectSame(table, expected, probes: probes)
        for (old, contents) in history { expectSame(old, contents, probes: probes) }
        #expect(expected.count > 500, "the run should have grown the table past several resizes")
    }

    @Test func updatesShareUntouchedChunksAndAnswers() {
        let entries = (0..<20_000).map { GroupTable.Entry(address: UInt32($0) * 7, answer: Int32($0 % 3), due: 0) }
        let table = GroupTable(ttl: 30, answers: (0..<3).map(Self.answer), entries: entries)
        let answers = table.answers.updating([(index: 1, answer: Self.answer(99)), (index: 700, answer: Self.answer(7))])
        let next = table.updating(answers: answers, entries: [.put(.init(address: 14, answer: 700, due: 5))])
        #expect(next.find(14)?.answer == 700 && next.find(14)?.due == 5)
        #expect(table.find(14)?.answer == 2 && table.find(14)?.due == 0)
        #expect(next.answers[1] == Self.answer(99) && table.answers[1] == Self.answer(1))
        #expect(next.answers[700] == Self.answer(7) && table.answers[700] == nil)
        #expect(next.answers[-1] == nil && next.answers[5_000] == nil)
        #expect(next.withTTL(5).ttl == 5 && next.withTTL(5).find(21)?.answer == 0)
    }

    @Test func answerTableMatchesADictionaryAcrossLeavesAndNodes() {
        var random = SeededRandom(seed: 5)
        var expected: [Int32: Int] = [:]
        var table = AnswerTable()
        var snapshots: [(AnswerTable, [Int32: Int])] = []
        for round in 0..<200 {
            var changes: [(index: Int32, answer: WebHeadAnswer?)] = []
            for _ in 0..<Int.random(in: 1...20, using: &random) {
                let index = Int32.random(in: 0..<20_000, using: &random)
                let value = random.chance(0.2) ? nil : Int.random(in: 0..<60_000, using: &random)
                changes.append((index, value.map(Self.answer)))
                expected[index] = value
            }
            table = table.updating(changes)
            if round % 40 == 0 { snapshots.append((table, expected)) }
        }
        snapshots.append((table, expected))
        // Built in one go from an array, the same contents.
        let dense = (0..<20_000).map { expected[Int32($0)].map(Self.answer) }
        snapshots.append((AnswerTable(dense), expected))
        snapshots.append((AnswerTable(Array(dense.prefix(4_097))), expected.filter { $0.key < 4_097 }))
        for (old, contents) in snapshots {
            for index in Int32(-2)..<Int32(20_100) {
                #expect(old[index] == contents[index].map(Self.answer), "index \(index)")
            }
        }
    }

    /// Leaves pack their answers' records back to back: every kind and size
    /// (a CNAME, v4 and v6 mixes, the largest list) reads back byte for byte
    /// through both the view and a copied answer, after updates too.
    @Test func packedLeavesKeepEveryKindOfAnswer() throws {
        let big = (0..<255).map { index in
            index % 2 == 0 ? [10, 1, 0, UInt8(index)] : [UInt8](repeating: UInt8(index), count: 16)
        }
        let kinds: [WebHeadAnswer?] = [
            .hostname(try DomainName("lb.example.net")), .addresses([[192, 0, 2, 1]]), nil,
            .addresses([[192, 0, 2, 1], Array(0..<16), [198, 51, 100, 7]]), .addresses(big), .addresses([]),
            .hostname(try DomainName(String(repeating: "a", count: 63) + ".example.net")),
        ]
        let answers = (0..<300).map { kinds[$0 % kinds.count] }
        func expectSame(_ table: AnswerTable, _ answers: [WebHeadAnswer?]) {
            for (index, answer) in answers.enumerated() {
                let view = table.view(Int32(index))
                #expect((view == nil) == (answer == nil), "index \(index)")
                #expect(view.map { Array($0.cname) } == answer?.cname, "index \(index)")
                #expect(view.map { Array($0.addressRecords) } == answer?.addressRecords, "index \(index)")
                #expect(view.map { Array($0.address6Records) } == answer?.address6Records, "index \(index)")
                #expect(view?.addressCount == answer?.addressCount && view?.address6Count == answer?.address6Count)
                #expect(table[Int32(index)] == answer, "index \(index)")
            }
        }
        let table = AnswerTable(answers)
        expectSame(table, answers)
        var changed = answers
        var changes: [(index: Int32, answer: WebHeadAnswer?)] = []
        for index in stride(from: 3, to: 300, by: 7) {
            changed[index] = kinds[(index + 3) % kinds.count]
            changes.append((Int32(index), changed[index]))
        }
        expectSame(table.updating(changes), changed)
        expectSame(table, answers)
    }
}

@Suite struct WebHeadAnswerTests {
    @Test func packedAddressesRenderLikeTheList() {
        let list: [[UInt8]] = [[192, 0, 2, 1], [UInt8](repeating: 0x20, count: 16), [198, 51, 100, 7],
                               Array(0..<16)]
        var packed: [UInt8] = [UInt8(list.count)]
        for address in list { packed += [UInt8(address.count)] + address }
        let fromPacked = WebHeadAnswer.addresses(packed: packed[...])
        #expect(fromPacked == WebHeadAnswer.addresses(list))
        #expect(fromPacked?.addressCount == 2 && fromPacked?.address6Count == 2)
        #expect(fromPacked?.rdatas.map(\.rdata) == [list[0], list[2], list[1], list[3]])
        // Malformed lists: short, a bad length, bytes left over.
        for bad: [UInt8] in [[], [1], [1, 4, 1, 2, 3], [1, 5, 1, 2, 3, 4, 5], [1, 4, 1, 2, 3, 4, 9], [2, 4, 1, 2, 3, 4]] {
            #expect(WebHeadAnswer.addresses(packed: bad[...]) == nil, "\(bad)")
        }
    }
}
