import Foundation
import Glibc
import Synchronization
import Testing

@testable import FailoverCore

/// Applies `mutations` in order to an empty model.
func replayed(_ mutations: some Sequence<Mutation>) throws -> FailoverModel {
    var model = FailoverModel()
    for mutation in mutations { try model.apply(mutation) }
    return model
}

/// Writes the sample mutations one record per append, and returns the record start offsets.
func writeSampleJournal(in directory: String) throws -> (model: FailoverModel, offsets: [Int]) {
    let (store, _, _) = try StateStore.open(directory: directory)
    var model = FailoverModel()
    var offsets: [Int] = []
    for mutation in sampleMutations() {
        offsets.append(store.journalLength)
        try model.apply(mutation)
        try store.append([mutation])
    }
    return (model, offsets)
}

@Suite struct StateStoreTests {
    @Test func createsDirectoryAndRoundTrips() throws {
        try withTemporaryDirectory { root in
            let directory = root + "/nested/state"
            var (store, model, warnings) = try StateStore.open(directory: directory)
            #expect(warnings.isEmpty && model == FailoverModel() && store.lastSequence == 0)
            let mutations = sampleMutations()
            #expect(try store.append(Array(mutations[0..<3])) == 1...3)
            #expect(try store.append([]) == nil)
            for mutation in mutations[3...] { try store.append([mutation]) }
            for mutation in mutations { try model.apply(mutation) }
            #expect(store.journalRecords == mutations.count)
            let length = store.journalLength
            #expect(fileSize(store.journalPath) == length)
            store = try StateStore.open(directory: root + "/unused").store  // drops the first store's lock

            let reopened = try StateStore.open(directory: directory)
            #expect(reopened.warnings.isEmpty)
            #expect(reopened.model == model)
            #expect(reopened.model.membership == model.membership)
            #expect(reopened.store.lastSequence == UInt64(mutations.count))
            #expect(reopened.store.journalLength == length)
        }
    }

    @Test func secondOpenIsRefused() throws {
        try withTemporaryDirectory { directory in
            let first = try StateStore.open(directory: directory)
            expectError(.unavailable) { _ = try StateStore.open(directory: directory) }
            withExtendedLifetime(first.store) {}
        }
    }

    @Test func tornTailAtEveryOffsetOfLastRecordIsDropped() throws {
        try withTemporaryDirectory { directory in
            let (model, offsets) = try writeSampleJournal(in: directory)
            let journal = directory + "/journal"
            let bytes = fileBytes(journal)
            let lastStart = offsets.last!
            let expected = try replayed(sampleMutations().dropLast())
            for cut in lastStart..<bytes.count {
                writeFile(journal, Array(bytes[..<cut]))
                let (store, reopened, warnings) = try StateStore.open(directory: directory)
                #expect(reopened == expected, "cut at \(cut)")
                #expect(warnings.count == (cut == lastStart ? 0 : 1), "cut at \(cut)")
                if cut > lastStart { #expect(warnings.first?.contains("byte offset \(lastStart)") == true) }
                #expect(fileSize(journal) == lastStart)
                #expect(store.journalLength == lastStart)
                #expect(store.lastSequence == UInt64(offsets.count - 1))
            }
            writeFile(journal, bytes)
            #expect(try StateStore.open(directory: directory).model == model)
        }
    }

    @Test func badChecksumOnLastRecordIsTorn() throws {
        try withTemporaryDirectory { directory in
            let (_, offsets) = try writeSampleJournal(in: directory)
            let journal = directory + "/journal"
            var bytes = fileBytes(journal)
            bytes[bytes.count - 2] ^= 0x20
            writeFile(journal, bytes)
            let (_, model, warnings) = try StateStore.open(directory: directory)
            #expect(warnings.count == 1 && warnings[0].contains("checksum"))
            #expect(model == (try replayed(sampleMutations().dropLast())))
            #expect(fileSize(journal) == offsets.last!)
        }
    }

    @Test func zeroFilledTailIsTorn() throws {
        try withTemporaryDirectory { directory in
            let (model, _) = try writeSampleJournal(in: directory)
            let journal = directory + "/journal"
            let bytes = fileBytes(journal)
            writeFile(journal, bytes + [UInt8](repeating: 0, count: 4096))
            let (_, reopened, warnings) = try StateStore.open(directory: directory)
            #expect(warnings.count == 1 && reopened == model && fileSize(journal) == bytes.count)
        }
    }

    @Test(arguments: [2, 5, 8])
    func corruptRecordInTheMiddleThrowsNamingFileAndOffset(record: Int) throws {
        try withTemporaryDirectory { directory in
            let (_, offsets) = try writeSampleJournal(in: directory)
            let journal = directory + "/journal"
            for damage in [offsets[record] + 12, offsets[record] + 1] {  // a payload byte; the length's 2nd byte
                var bytes = fileBytes(journal)
                let original = bytes
                bytes[damage] ^= 0x01
                writeFile(journal, bytes)
                let error = expectError(.internal) { _ = try StateStore.open(directory: directory) }
                #expect(error?.message.contains(journal) == true, "\(error?.message ?? "")")
                #expect(error?.message.contains("byte offset \(offsets[record])") == true, "\(error?.message ?? "")")
                #expect(fileBytes(journal) == bytes, "a corrupt journal must be left as it is")
                writeFile(journal, original)
            }
        }
    }

    @Test func recordThatDoesNotApplyThrows() throws {
        try withTemporaryDirectory { directory in
            let journal = directory + "/journal"
            let first = JournalRecord(seq: 1, mutation: .appPut(makeApp("a1"))).encoded()
            let bad = JournalRecord(seq: 2, mutation: .appRemove(appID("missing"))).encoded()
            writeFile(journal, first + bad)
            let error = expectError(.internal) { _ = try StateStore.open(directory: directory) }
            #expect(error?.message.contains("byte offset \(first.count)") == true)
        }
    }

    @Test func sequenceGoingBackwardsIsCorruption() throws {
        try withTemporaryDirectory { directory in
            let first = JournalRecord(seq: 2, mutation: .appPut(makeApp("a1"))).encoded()
            let second = JournalRecord(seq: 2, mutation: .appPut(makeApp("a2"))).encoded()
            writeFile(directory + "/journal", first + second)
            expectError(.internal) { _ = try StateStore.open(directory: directory) }
        }
    }

    @Test(arguments: ["{", "not json", #"{"format":1}"#, #"{"format":99,"journalSeq":0,"serial":1,"model":{}}"#])
    func damagedCheckpointThrowsNamingFile(content: String) throws {
        try withTemporaryDirectory { directory in
            writeFile(directory + "/checkpoint", Array(content.utf8))
            let error = expectError(.internal) { _ = try StateStore.open(directory: directory) }
            #expect(error?.message.contains(directory + "/checkpoint") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("byte offset") == true, "\(error?.message ?? "")")
        }
    }

    @Test func inconsistentCheckpointIsRefused() throws {
        try withTemporaryDirectory { directory in
            let group = Group(address: g1, primary: appID("ghost"), backup: nil, created: t0, updated: t0)
            let model = FailoverModel(apps: [], groups: [group], tombstones: [], serial: 3)
            writeFile(directory + "/checkpoint", try CheckpointFile(journalSeq: 0, model: model).encodedAsJSON())
            let error = expectError(.internal) { _ = try StateStore.open(directory: directory) }
            #expect(error?.message.contains("ghost") == true)
        }
        try withTemporaryDirectory { directory in
            let group = Group(address: g1, primary: appID("a1"), backup: appID("a1"), created: t0, updated: t0)
            let model = FailoverModel(apps: [makeApp("a1")], groups: [group], tombstones: [], serial: 3)
            writeFile(directory + "/checkpoint", CheckpointFile(journalSeq: 0, model: model).encoded())
            let error = expectError(.internal) { _ = try StateStore.open(directory: directory) }
            #expect(error?.message.contains("both primary and backup") == true, "\(error?.message ?? "")")
        }
    }

    @Test func compactionThenReopen() throws {
        try withTemporaryDirectory { directory in
            let mutations = sampleMutations()
            var model = FailoverModel()
            do {
                let (store, _, _) = try StateStore.open(directory: directory)
                for mutation in mutations[..<6] {
                    try model.apply(mutation)
                    try store.append([mutation])
                }
                try store.compact(model: model)
                #expect(store.journalLength == 0 && store.journalRecords == 0 && fileSize(store.journalPath) == 0)
                #expect(store.lastSequence == 6)
                for mutation in mutations[6...] {
                    try model.apply(mutation)
                    #expect(try store.append([mutation]) == store.lastSequence...store.lastSequence)
                }
                #expect(store.lastSequence == UInt64(mutations.count))
            }
            let (store, reopened, warnings) = try StateStore.open(directory: directory)
            #expect(warnings.isEmpty && reopened == model)
            #expect(store.lastSequence == UInt64(mutations.count))
            #expect(store.journalRecords == mutations.count - 6)
            #expect(!FileManager.default.fileExists(atPath: directory + "/checkpoint.tmp"))
        }
    }

    /// A crash after the checkpoint rename but before the journal reset leaves the new checkpoint with the old
    /// journal: replay must skip the records the checkpoint covers, and appends must go on after them.
    @Test func crashBetweenCheckpointAndJournalReset() throws {
        try withTemporaryDirectory { directory in
            let mutations = sampleMutations()
            let model = try replayed(mutations[..<7])
            let oldJournal: [UInt8]
            do {
                let (store, _, _) = try StateStore.open(directory: directory)
                try store.append(Array(mutations[..<7]))
                oldJournal = fileBytes(store.journalPath)
                try store.compact(model: model)
            }
            writeFile(directory + "/journal", oldJournal)
            writeFile(directory + "/journal.tmp", [1, 2, 3])  // a leftover of the interrupted step
            var full = model
            do {
                let (store, reopened, warnings) = try StateStore.open(directory: directory)
                #expect(warnings.isEmpty && reopened == model && store.lastSequence == 7)
                for mutation in mutations[7...] {
                    try full.apply(mutation)
                    try store.append([mutation])
                }
            }
            let (_, final, _) = try StateStore.open(directory: directory)
            #expect(final == full)
            #expect(!FileManager.default.fileExists(atPath: directory + "/journal.tmp"))
        }
    }

    /// A crash before the checkpoint rename leaves a stray temporary file and the old state.
    @Test func crashBeforeCheckpointRename() throws {
        try withTemporaryDirectory { directory in
            let (model, _) = try writeSampleJournal(in: directory)
            writeFile(directory + "/checkpoint.tmp", Array("{\"trunc".utf8))
            let (_, reopened, warnings) = try StateStore.open(directory: directory)
            #expect(warnings.isEmpty && reopened == model)
        }
    }
}

/// Fault injection through `FileIO`: short writes, ENOSPC, EIO on fsync.
@Suite struct StateStoreFailureTests {
    /// Lets `budget` bytes through, then fails every write with `code`; fsync fails with `fsyncCode` if set.
    final class Faults: Sendable {
        let state: Mutex<(budget: Int, code: Int32, fsyncCode: Int32?)>

        init(budget: Int = .max, code: Int32 = ENOSPC, fsyncCode: Int32? = nil) {
            state = Mutex((budget, code, fsyncCode))
        }

        func set(budget: Int, code: Int32 = ENOSPC, fsyncCode: Int32? = nil) {
            state.withLock { $0 = (budget, code, fsyncCode) }
        }

        var io: FileIO {
            FileIO(
                write: { fd, bytes in
                    let (allowed, code) = self.state.withLock { state -> (Int, Int32) in
                        let allowed = min(state.budget, bytes.count)
                        state.budget -= allowed
                        return (allowed, state.code)
                    }
                    if allowed == 0 && bytes.count > 0 {
                        errno = code
                        return -1
                    }
                    // Short writes, and an EINTR now and then, like a signal arriving mid-write.
                    return Glibc.write(fd, bytes.baseAddress, min(allowed, 7))
                },
                fsync: { fd in
                    if let code = self.state.withLock({ $0.fsyncCode }) {
                        errno = code
                        return -1
                    }
                    return Glibc.fsync(fd)
                }
            )
        }
    }

    @Test(arguments: [(0, ENOSPC), (5, ENOSPC), (8, EFBIG), (100, EIO), (Int.max, EROFS)])
    func failedAppendLeavesJournalUnchanged(budget: Int, code: Int32) throws {
        try withTemporaryDirectory { directory in
            let faults = Faults()
            let mutations = sampleMutations()
            let (store, _, _) = try StateStore.open(directory: directory, io: faults.io)
            try store.append(Array(mutations[..<3]))
            let length = store.journalLength
            // A budget large enough for the writes fails on fsync instead.
            faults.set(budget: budget, code: code, fsyncCode: budget == .max ? code : nil)
            let error = expectError(.unavailable) { _ = try store.append(Array(mutations[3..<6])) }
            #expect(error?.message.contains(errnoText(code)) == true, "\(error?.message ?? "")")
            #expect(fileSize(store.journalPath) == length)
            #expect(store.journalLength == length && store.lastSequence == 3)

            faults.set(budget: .max)
            #expect(try store.append([mutations[3]]) == 4...4)
            withExtendedLifetime(store) {}
        }
        try withTemporaryDirectory { directory in
            // Reopening after a failure shows only what was acknowledged.
            let faults = Faults()
            let mutations = sampleMutations()
            do {
                let (store, _, _) = try StateStore.open(directory: directory, io: faults.io)
                try store.append(Array(mutations[..<3]))
                faults.set(budget: budget, code: code, fsyncCode: budget == .max ? code : nil)
                _ = try? store.append(Array(mutations[3...]))
            }
            let (_, model, warnings) = try StateStore.open(directory: directory)
            #expect(warnings.isEmpty)
            #expect(model == (try replayed(mutations[..<3])))
        }
    }

    @Test func failedCompactionKeepsState() throws {
        try withTemporaryDirectory { directory in
            let faults = Faults()
            let mutations = sampleMutations()
            let model = try replayed(mutations)
            do {
                let (store, _, _) = try StateStore.open(directory: directory, io: faults.io)
                try store.append(mutations)
                faults.set(budget: 10)
                expectError(.unavailable) { try store.compact(model: model) }
                #expect(!FileManager.default.fileExists(atPath: directory + "/checkpoint"))
                #expect(!FileManager.default.fileExists(atPath: directory + "/checkpoint.tmp"))
                faults.set(budget: .max)
                try store.compact(model: model)
            }
            let (_, reopened, _) = try StateStore.open(directory: directory)
            #expect(reopened == model)
        }
    }
}

/// The real thing: a 64 KiB tmpfs fills up and the kernel answers ENOSPC. Needs root to mount.
@Suite(.serialized, .enabled(if: geteuid() == 0, "mounting a tmpfs needs root"))
struct StateStoreFullDiskTests {
    static func run(_ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/" + arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test func fullFileSystem() throws {
        try withTemporaryDirectory { mountPoint in
            // 64 KiB: a few hundred records fill it.
            guard Self.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint]) == 0 else {
                print("skipping: cannot mount a tmpfs at \(mountPoint)")
                return
            }
            defer { _ = Self.run(["umount", mountPoint]) }
            let directory = mountPoint + "/state"
            var model = FailoverModel()
            var acknowledged = 0
            var failure: FailoverError?
            do {
                let (store, _, _) = try StateStore.open(directory: directory)
                for index in 0..<100_000 {
                    let name = "App \(index) " + String(repeating: "x", count: 150)
                    let mutation = Mutation.appPut(try App(id: appID("app\(index)"), name: name, webHead: nil))
                    let before = store.journalLength
                    do {
                        // Batches of 3, so a failure can land in the middle of a batch.
                        try store.append([mutation, mutation, mutation])
                    } catch {
                        failure = error as? FailoverError
                        #expect(fileSize(store.journalPath) == before)
                        #expect(store.journalLength == before)
                        break
                    }
                    try model.apply(mutation)
                    acknowledged += 1
                }
            }
            #expect(failure?.code == .unavailable)
            #expect(failure?.message.contains(errnoText(ENOSPC)) == true, "\(String(describing: failure))")
            #expect(acknowledged > 10)
            let (_, reopened, warnings) = try StateStore.open(directory: directory)
            #expect(warnings.isEmpty)
            #expect(reopened.apps.count == acknowledged)
        }
    }
}
