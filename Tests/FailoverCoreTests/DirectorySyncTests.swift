import Foundation
import Glibc
import Synchronization
import Testing

@testable import FailoverCore

/// A failed directory fsync after compaction's journal rename: the new journal's name may not survive a crash,
/// so appends are refused until a retry of that fsync succeeds.
@Suite struct DirectorySyncTests {
    /// Fails directory fsyncs once `skip` more of them have passed, while `failing` is set.
    final class DirectoryFaults: Sendable {
        let state = Mutex((failing: false, skip: 0))

        var io: FileIO {
            FileIO(
                write: { fd, bytes in Glibc.write(fd, bytes.baseAddress, bytes.count) },
                fsync: { fd in
                    var info = stat()
                    let isDirectory = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
                    let fail = isDirectory && self.state.withLock { state -> Bool in
                        guard state.failing else { return false }
                        if state.skip > 0 {
                            state.skip -= 1
                            return false
                        }
                        return true
                    }
                    if fail {
                        errno = EIO
                        return -1
                    }
                    return Glibc.fsync(fd)
                })
        }
    }

    @Test func appendsAreRefusedUntilTheJournalRenameIsDurable() throws {
        try withTemporaryDirectory { directory in
            let faults = DirectoryFaults()
            let mutations = sampleMutations()
            do {
                let (store, _, _) = try StateStore.open(directory: directory, io: faults.io)
                try store.append(Array(mutations[..<3]))
                // The snapshot rename's directory fsync passes; the journal rename's fails.
                faults.state.withLock { $0 = (true, 1) }
                let compacted = try replayed(mutations[..<3])
                let compaction = expectError(.unavailable) { try store.compact(model: compacted) }
                #expect(compaction?.message.contains("refused") == true, "\(compaction?.message ?? "")")
                let refused = expectError(.unavailable) { _ = try store.append([mutations[3]]) }
                #expect(refused?.message.contains(errnoText(EIO)) == true, "\(refused?.message ?? "")")
                #expect(fileSize(store.journalPath) == 0, "nothing written while the name is not durable")

                faults.state.withLock { $0 = (false, 0) }
                #expect(try store.append([mutations[3]]) == 4...4)
            }
            // The snapshot and the new journal hold what was acknowledged.
            let (_, model, warnings) = try StateStore.open(directory: directory)
            let expected = try replayed(mutations[..<4])
            #expect(warnings.isEmpty && model == expected)
        }
    }
}
