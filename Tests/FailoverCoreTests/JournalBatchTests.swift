import Foundation
import Testing

@testable import FailoverCore

/// Damage a crash can leave inside the last batch (an earlier record zeroed, a later one on disk) is a torn
/// tail; damage to an earlier, acknowledged batch still refuses the start.
@Suite struct JournalBatchTests {
    /// The sample mutations in three batches: sequence 1...3, 4...6 and 7...10.
    static let batches = [0..<3, 3..<6, 6..<10]

    /// Writes the batches and returns the byte range of every record, in sequence order.
    static func writeBatches(in directory: String) throws -> [Range<Int>] {
        let (store, _, _) = try StateStore.open(directory: directory)
        let mutations = sampleMutations()
        for batch in batches { try store.append(Array(mutations[batch])) }
        let bytes = fileBytes(store.journalPath)
        let scan = JournalScan(bytes)
        #expect(scan.ending == .clean && scan.entries.count == 10)
        let starts = scan.entries.map(\.offset) + [bytes.count]
        return (0..<10).map { starts[$0]..<starts[$0 + 1] }
    }

    static func zero(_ ranges: [Range<Int>], in journal: String) {
        var bytes = fileBytes(journal)
        for range in ranges { bytes.replaceSubrange(range, with: [UInt8](repeating: 0, count: range.count)) }
        writeFile(journal, bytes)
    }

    /// Records 8 or 7 (the second or first of the last batch) zeroed, the records after them intact.
    @Test(arguments: [7, 6])
    func zeroedRecordInsideTheLastBatchIsATornTail(record: Int) throws {
        try withTemporaryDirectory { directory in
            let records = try Self.writeBatches(in: directory)
            let journal = directory + "/journal"
            Self.zero([records[record]], in: journal)
            let (store, model, warnings) = try StateStore.open(directory: directory)
            #expect(warnings.count == 1, "\(warnings)")
            #expect(warnings.first?.contains("byte offset \(records[record].lowerBound)") == true, "\(warnings)")
            let expected = try replayed(sampleMutations()[..<record])
            #expect(model == expected)
            #expect(fileSize(journal) == records[record].lowerBound, "the damaged batch is cut off")
            #expect(store.lastSequence == UInt64(record))
            // Appends go on after the cut, and a reopen sees them.
            try store.append([.appPut(makeApp("after"))])
            withExtendedLifetime(store) {}
        }
        try withTemporaryDirectory { directory in
            let records = try Self.writeBatches(in: directory)
            Self.zero([records[record]], in: directory + "/journal")
            do { _ = try StateStore.open(directory: directory) }
            let (_, model, warnings) = try StateStore.open(directory: directory)
            let expected = try replayed(sampleMutations()[..<record])
            #expect(warnings.isEmpty && model == expected)
        }
    }

    /// A record of an acknowledged batch zeroed: corruption, whether the damage stops inside that batch, runs
    /// into the last one, or swallows a whole batch before surviving records of the last.
    @Test(arguments: [[4], [5, 6], [3, 4, 5, 6], [1]])
    func damageBeforeTheLastBatchRefuses(zeroed: [Int]) throws {
        try withTemporaryDirectory { directory in
            let records = try Self.writeBatches(in: directory)
            let journal = directory + "/journal"
            Self.zero(zeroed.map { records[$0] }, in: journal)
            let damaged = fileBytes(journal)
            let error = expectError(.internal) { _ = try StateStore.open(directory: directory) }
            let offset = records[zeroed[0]].lowerBound
            #expect(error?.message.contains(journal) == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("byte offset \(offset)") == true, "\(error?.message ?? "")")
            #expect(fileBytes(journal) == damaged, "a corrupt journal must be left as it is")
        }
    }

    /// Records written by earlier versions carry no batch: any damage with a valid record after it refuses.
    @Test func recordsWithoutBatchKeepTheOldRule() throws {
        try withTemporaryDirectory { directory in
            let journal = directory + "/journal"
            let mutations = sampleMutations()
            let records = (0..<4).map { JournalRecord(seq: UInt64($0 + 1), mutation: mutations[$0]).encoded() }
            #expect(records.allSatisfy { $0[JournalRecord.headerSize] == MutationBinary.marker })
            var bytes = records.flatMap { $0 }
            let second = records[0].count..<(records[0].count + records[1].count)
            bytes.replaceSubrange(second, with: [UInt8](repeating: 0, count: second.count))
            writeFile(journal, bytes)
            let error = expectError(.internal) { _ = try StateStore.open(directory: directory) }
            #expect(error?.message.contains("byte offset \(second.lowerBound)") == true, "\(error?.message ?? "")")
        }
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    /// The batch header round-trips, and impossible positions are refused.
    @Test func batchHeaderRoundTripsAndIsChecked() throws {
        let mutation = sampleMutations()[0]
        let record = JournalRecord(seq: 9, mutation: mutation, batch: .init(first: 7, last: 12))
        let payload = MutationBinary.encode(seq: 9, mutation, batch: record.batch)
        #expect(payload[0] == MutationBinary.batchMarker)
        #expect(try JournalRecord.decode(payload[...]) == record)
        for (position, count) in [(UInt32(3), UInt32(3)), (0, 0), (10, 11)] {
            var bad = payload
            bad.replaceSubrange(9..<17, with: Self.bigEndian(position) + Self.bigEndian(count))
            #expect(throws: (any Error).self, "position \(position) of \(count)") { try JournalRecord.decode(bad[...]) }
        }
    }
}
