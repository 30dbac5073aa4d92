import Foundation
import Testing

@testable import FailoverCore

/// Versions up to 0.3 called the checkpoint `snapshot`: such a directory
/// loads as it is (in full and by the fast-start scan), the first compaction
/// moves it to `checkpoint`, and when both files are there the newer wins.
@Suite struct CheckpointMigrationTests {
    /// A directory as 0.3 left it: `snapshot` holding the first `split` sample mutations, the rest in the journal.
    static func legacyDirectory(_ directory: String, split: Int) throws -> FailoverModel {
        let mutations = sampleMutations()
        do {
            let (store, _, _) = try StateStore.open(directory: directory)
            try store.append(Array(mutations[..<split]))
            try store.compact(model: try replayed(mutations[..<split]))
            try store.append(Array(mutations[split...]))
        }
        try FileManager.default.moveItem(atPath: directory + "/checkpoint", toPath: directory + "/snapshot")
        return try replayed(mutations)
    }

    @Test func legacySnapshotLoadsAndTheFirstCompactionRenamesIt() throws {
        try withTemporaryDirectory { directory in
            let model = try Self.legacyDirectory(directory, split: 5)
            do {
                let (store, loaded, warnings) = try StateStore.open(directory: directory)
                #expect(warnings.isEmpty && loaded == model)
                #expect(store.lastSequence == UInt64(sampleMutations().count))
                try store.compact(model: loaded)
            }
            #expect(FileManager.default.fileExists(atPath: directory + "/checkpoint"))
            #expect(!FileManager.default.fileExists(atPath: directory + "/snapshot"))
            #expect(!FileManager.default.fileExists(atPath: directory + "/checkpoint.tmp"))
            #expect(try StateStore.open(directory: directory).model == model)
        }
    }

    @Test func fastStartScanReadsALegacySnapshot() throws {
        try withTemporaryDirectory { directory in
            let model = try Self.legacyDirectory(directory, split: sampleMutations().count)
            let bytes = try StateStore.readWholeCheckpoint(directory: directory).get()
            #expect(bytes == fileBytes(directory + "/snapshot"))
            #expect(try CheckpointFile.decode(bytes, path: "snapshot").model == model)
            #expect(StateStore.soleCheckpointPath(directory: directory) == directory + "/snapshot")
        }
    }

    /// A crash in the first compaction after an upgrade, after the new checkpoint's rename: both files, the
    /// checkpoint newer. A downgrade that compacted and then an upgrade: both, the snapshot newer.
    @Test(arguments: [true, false])
    func theNewerOfBothFilesIsRead(checkpointIsNewer: Bool) throws {
        try withTemporaryDirectory { directory in
            let mutations = sampleMutations()
            let older = try replayed(mutations[..<4])
            let newer = try replayed(mutations)
            let (olderName, newerName) = checkpointIsNewer ? ("snapshot", "checkpoint") : ("checkpoint", "snapshot")
            do { _ = try StateStore.open(directory: directory) }
            writeFile(directory + "/" + olderName, CheckpointFile(journalSeq: 4, model: older).encoded())
            writeFile(directory + "/" + newerName, CheckpointFile(journalSeq: UInt64(mutations.count), model: newer).encoded())
            // The fast-start scan cannot tell which is newer without decoding both: it leaves it to the load.
            #expect(throws: StateStore.ScanRefusal.self) { try StateStore.readWholeCheckpoint(directory: directory).get() }
            #expect(StateStore.soleCheckpointPath(directory: directory) == nil)
            let added = Mutation.appPut(makeApp("a9"))
            do {
                let (store, loaded, _) = try StateStore.open(directory: directory)
                #expect(loaded == newer && store.lastSequence == UInt64(mutations.count))
                try store.append([added])
                try store.compact(model: try replayed(mutations + [added]))
            }
            #expect(!FileManager.default.fileExists(atPath: directory + "/snapshot"))
            #expect(try StateStore.open(directory: directory).model.apps.count == newer.apps.count + 1)
        }
    }

    /// A damaged legacy file is refused by name even beside a good checkpoint: which one is newer is unknown.
    @Test func aDamagedLegacySnapshotIsRefusedByName() throws {
        try withTemporaryDirectory { directory in
            _ = try Self.legacyDirectory(directory, split: 5)
            try FileManager.default.copyItem(atPath: directory + "/snapshot", toPath: directory + "/checkpoint")
            var bytes = fileBytes(directory + "/snapshot")
            bytes[bytes.count / 2] ^= 0xFF
            writeFile(directory + "/snapshot", bytes)
            let error = #expect(throws: FailoverError.self) { try StateStore.open(directory: directory) }
            #expect(error?.message.contains(directory + "/snapshot") == true, "\(error?.message ?? "")")
        }
    }
}
