import Glibc

/// Durable storage of the model in a directory: a `checkpoint` file (the whole model) plus an append-only
/// `journal` of the mutations committed since.
///
/// Each journal record is `[length][CRC-32C][binary {seq, batch, mutation}]` (see `JournalRecord`). ``append(_:)``
/// writes a batch of records and makes them durable with one fsync; a failure truncates the journal back, so
/// no part of a failed batch survives. ``compact(model:)`` replaces the checkpoint atomically and starts a new
/// journal; a crash at any point leaves a directory ``open(directory:)`` can load.
///
/// An exclusive `flock` on the `lock` file keeps a second process out of the directory. Not thread-safe:
/// keep it inside one actor.
///
/// Versions 0.3 and earlier called the checkpoint `snapshot` (same bytes). A directory holding one is read as it
/// is; the first compaction writes `checkpoint` and removes `snapshot`.
public final class StateStore {
    /// The checkpoint's file name in the state directory.
    public static let checkpointName = "checkpoint"
    /// What versions 0.3 and earlier called the checkpoint; read when it is the newer of the two, removed on compaction.
    public static let legacyCheckpointName = "snapshot"

    public let directory: String
    public let checkpointPath: String
    public let journalPath: String

    /// The journal's size in bytes (to decide when to compact).
    public private(set) var journalLength: Int
    /// Records in the journal after the checkpoint.
    public private(set) var journalRecords: Int
    /// The sequence number of the last durable record (or the checkpoint's, if newer).
    public private(set) var lastSequence: UInt64

    private var journalFD: Int32
    private var lockFD: Int32
    /// Set when the journal could not be put back after a failure; every later write is refused.
    private var failure: String?
    /// Set when the directory fsync after compaction's journal rename failed: a crash could bring back the old
    /// journal's name, so appends to the new one are refused until a retry of that fsync succeeds.
    private var directorySyncPending = false
    let io: FileIO

    private init(directory: String, journalFD: Int32, lockFD: Int32, length: Int, records: Int, last: UInt64,
                 io: FileIO) {
        self.directory = directory
        self.checkpointPath = directory + "/" + Self.checkpointName
        self.journalPath = directory + "/journal"
        self.journalFD = journalFD
        self.lockFD = lockFD
        self.journalLength = length
        self.journalRecords = records
        self.lastSequence = last
        self.io = io
    }

    deinit {
        POSIX.close(journalFD)
        POSIX.close(lockFD)
    }

    /// Opens (creating if needed) the state directory and rebuilds the model: checkpoint, then the journal
    /// records after it.
    ///
    /// A torn journal tail (an unfinished last write) is cut off and reported in `warnings`. Damage with valid
    /// data after it, an unreadable checkpoint, or a record that does not apply throws `internal` naming the file
    /// and byte offset; an I/O error throws `unavailable`.
    public static func open(directory: String) throws(FailoverError)
        -> (store: StateStore, model: FailoverModel, warnings: [String])
    {
        try open(directory: directory, io: .system)
    }

    package static func open(directory: String, io: FileIO) throws(FailoverError)
        -> (store: StateStore, model: FailoverModel, warnings: [String])
    {
        do {
            return try load(directory: directory, io: io)
        } catch let error as SystemCallError {
            throw .unavailable("cannot open the state directory: \(error)")
        } catch let error as FailoverError {
            throw error
        } catch {
            throw FailoverError(.internal, "cannot open the state directory \(directory): \(error)")
        }
    }

    private static func load(directory: String, io: FileIO) throws -> (StateStore, FailoverModel, [String]) {
        let directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        try POSIX.makeDirectories(directory)
        let lockPath = directory + "/lock"
        let lockFD = try POSIX.open(lockPath, O_RDWR | O_CREAT)
        do {
            try POSIX.lockExclusively(lockFD, path: lockPath)
        } catch {
            POSIX.close(lockFD)
            if error.code == EWOULDBLOCK {
                throw FailoverError.unavailable("state directory \(directory) is in use by another process")
            }
            throw error
        }
        var journalFD: Int32 = -1
        do {
            POSIX.unlinkIfPresent(directory + "/" + checkpointName + ".tmp")
            POSIX.unlinkIfPresent(directory + "/" + legacyCheckpointName + ".tmp")
            POSIX.unlinkIfPresent(directory + "/journal.tmp")

            var model = FailoverModel()
            var checkpointSeq: UInt64 = 0
            if let checkpoint = try readCheckpoint(directory: directory) {
                model = checkpoint.model
                checkpointSeq = checkpoint.journalSeq
            }

            let journalPath = directory + "/journal"
            let created = !POSIX.exists(journalPath)
            journalFD = try POSIX.open(journalPath, O_RDWR | O_CREAT | O_APPEND)
            if created { try POSIX.syncDirectory(directory, io: io) }
            let bytes = try POSIX.readAll(journalFD, path: journalPath)
            let scan = JournalScan(bytes)
            var warnings: [String] = []
            var length = bytes.count
            switch scan.ending {
            case .clean:
                break
            case .tornTail(let offset, let reason):
                try POSIX.truncate(journalFD, to: offset, path: journalPath)
                try io.sync(journalFD, path: journalPath)
                warnings.append(
                    "journal \(journalPath): dropped a torn tail of \(bytes.count - offset) bytes at byte offset "
                        + "\(offset) (\(reason)); it held a write that was never acknowledged"
                )
                length = offset
            case .corrupt(let offset, let reason):
                throw FailoverError.corrupt(
                    "journal \(journalPath) is corrupt at byte offset \(offset): \(reason). failoverd will not "
                        + "start: restore the state directory from a backup, or move the journal aside to start "
                        + "from the checkpoint (losing the changes after it)"
                )
            }

            var records = 0
            var last = checkpointSeq
            for entry in scan.entries where entry.record.seq > checkpointSeq {
                do {
                    try model.apply(entry.record.mutation)
                } catch {
                    throw FailoverError.corrupt(
                        "journal \(journalPath) record \(entry.record.seq) at byte offset \(entry.offset) does not "
                            + "apply to the state before it (\(error.message)); restore the state directory "
                            + "from a backup"
                    )
                }
                records += 1
                last = entry.record.seq
            }
            let store = StateStore(
                directory: directory, journalFD: journalFD, lockFD: lockFD, length: length, records: records,
                last: last, io: io
            )
            return (store, model, warnings)
        } catch {
            if journalFD >= 0 { POSIX.close(journalFD) }
            POSIX.close(lockFD)
            throw error
        }
    }

    /// The checkpoint to start from: `checkpoint`, or an older version's `snapshot`; when both are there (a
    /// crash during the first compaction, or a downgrade and upgrade), the one that folds in more of the journal.
    private static func readCheckpoint(directory: String) throws -> CheckpointFile? {
        var newest: CheckpointFile?
        for name in [checkpointName, legacyCheckpointName] {
            let path = directory + "/" + name
            guard POSIX.exists(path) else { continue }
            let fd = try POSIX.open(path, O_RDONLY)
            defer { POSIX.close(fd) }
            let checkpoint = try CheckpointFile.decode(try POSIX.readAll(fd, path: path), path: path)
            if newest.map({ checkpoint.journalSeq > $0.journalSeq }) ?? true { newest = checkpoint }
        }
        return newest
    }

    /// Appends `mutations` as consecutive records and makes them durable with one fsync (group commit).
    ///
    /// On any failure (ENOSPC, EIO, EFBIG, EROFS...) the journal is truncated back to its length before the
    /// call and `unavailable` is thrown with the system's reason: none of the batch survives.
    ///
    /// - Returns: the sequence numbers given to the records, nil for an empty batch.
    @discardableResult
    public func append(_ mutations: [Mutation]) throws(FailoverError) -> ClosedRange<UInt64>? {
        if let failure { throw .unavailable(failure) }
        guard !mutations.isEmpty else { return nil }
        try retryDirectorySync()
        var bytes: [UInt8] = []
        // Most records are well under 128 bytes; one reservation covers a typical batch.
        bytes.reserveCapacity(mutations.count * 128)
        // Each record names its batch, so start-up can tell damage a crash left in the last batch from damage
        // to acknowledged records.
        let batch = JournalRecord.Batch(first: lastSequence + 1, last: lastSequence + UInt64(mutations.count))
        var seq = lastSequence
        for mutation in mutations {
            seq += 1
            JournalRecord(seq: seq, mutation: mutation, batch: batch).encode(into: &bytes)
        }
        let start = journalLength
        do {
            try io.writeAll(journalFD, bytes, path: journalPath)
            try io.sync(journalFD, path: journalPath)
        } catch {
            rollBack(to: start)
            throw .unavailable("cannot make the change durable: \(error); nothing was changed")
        }
        journalLength += bytes.count
        journalRecords += mutations.count
        let first = lastSequence + 1
        lastSequence = seq
        return first...seq
    }

    /// Makes the journal's name durable after a failed directory fsync, or throws `unavailable`.
    private func retryDirectorySync() throws(FailoverError) {
        guard directorySyncPending else { return }
        do {
            try POSIX.syncDirectory(directory, io: io)
        } catch {
            throw .unavailable("the new journal in \(directory) is not durable yet (\(error)); nothing was changed")
        }
        directorySyncPending = false
    }

    /// Cuts a failed batch off. The fsync is best effort: if it fails too, the next append's fsync makes the
    /// shorter length durable along with the new records.
    private func rollBack(to length: Int) {
        do {
            try POSIX.truncate(journalFD, to: length, path: journalPath)
            try? io.sync(journalFD, path: journalPath)
        } catch {
            failure = "the journal \(journalPath) could not be restored after a failed write (\(error)); "
                + "restart failoverd"
        }
    }

    /// Writes `model` as the new checkpoint and starts an empty journal.
    ///
    /// `model` must be the result of every mutation appended so far. Steps: checkpoint to `checkpoint.tmp`,
    /// fsync, rename over `checkpoint`, fsync the directory; then an empty `journal.tmp`, fsync, rename over
    /// `journal`, fsync the directory. A crash between the two renames leaves the new checkpoint with the old
    /// journal, whose records are all covered by the checkpoint and skipped on replay. Last, an older version's
    /// `snapshot` is removed (best effort: while it stays, start-up reads whichever file is newer).
    ///
    /// If the journal's directory fsync fails, appends are refused (`unavailable`) until a retry of it succeeds:
    /// until then a crash may bring back the old journal, and records appended to the new one would be lost.
    public func compact(model: FailoverModel) throws(FailoverError) {
        if let failure { throw .unavailable(failure) }
        try retryDirectorySync()
        let bytes = CheckpointFile(journalSeq: lastSequence, model: model).encoded()
        do {
            try DurableFile.replace(checkpointPath, with: bytes, io: io)

            let freshPath = journalPath + ".tmp"
            let fresh = try POSIX.open(freshPath, O_RDWR | O_CREAT | O_TRUNC | O_APPEND)
            do {
                try io.sync(fresh, path: freshPath)
                try POSIX.rename(freshPath, journalPath)
            } catch {
                POSIX.close(fresh)
                POSIX.unlinkIfPresent(freshPath)
                throw error
            }
            POSIX.close(journalFD)
            journalFD = fresh
            journalLength = 0
            journalRecords = 0
            directorySyncPending = true
            try POSIX.syncDirectory(directory, io: io)
            directorySyncPending = false
            let legacyPath = directory + "/" + Self.legacyCheckpointName
            if POSIX.exists(legacyPath) {
                POSIX.unlinkIfPresent(legacyPath)
                try? POSIX.syncDirectory(directory, io: io)
            }
        } catch {
            let refusing = directorySyncPending
                ? "; the new journal's name is not durable, so changes are refused until a directory fsync succeeds"
                : "; the journal keeps growing"
            throw .unavailable("cannot compact the state in \(directory): \(error)\(refusing)")
        }
    }
}

/// A web head as stored: hostname text, or the raw address list (a count,
/// then per address its length and network-order bytes).
public enum ServedHead {
    case none
    case hostname(ArraySlice<UInt8>)
    case addresses(ArraySlice<UInt8>)
}

extension StateStore {
    /// Reads what DNS serves straight from the checkpoint file when that is the
    /// whole state (a binary checkpoint and an empty journal), calling `app`
    /// per app number (from 0) and `group` per group (address, app number or
    /// -1, due). Returns the model serial, or why the state must be loaded
    /// in full first (journal records, an older format, any damage, or the
    /// directory in use).
    public static func scanServed(
        directory: String, app: (Int32, ServedHead) -> Void, group: (UInt32, Int32, Int64) -> Void
    ) -> Result<UInt32, ScanRefusal> {
        readWholeCheckpoint(directory: directory).flatMap { scanServed($0, app: app, group: group) }
    }

    /// What ``scanServed(directory:app:group:)`` reads from `bytes`, the
    /// checkpoint file ``readWholeCheckpoint(directory:)`` returned.
    public static func scanServed(
        _ bytes: [UInt8], app: (Int32, ServedHead) -> Void, group: (UInt32, Int32, Int64) -> Void
    ) -> Result<UInt32, ScanRefusal> {
        do {
            return .success(try CheckpointBinary.scanServed(bytes, app: app, group: group).serial)
        } catch {
            return .failure(.init("at byte offset \(error.offset): \(error.reason)"))
        }
    }

    /// The path of the checkpoint file in `directory` (an older version's
    /// `snapshot` when only that is there), or nil when there is none or
    /// there are both (then only a full load can tell which is newer).
    public static func soleCheckpointPath(directory: String) -> String? {
        let current = directory + "/" + checkpointName
        let legacy = directory + "/" + legacyCheckpointName
        switch (POSIX.exists(current), POSIX.exists(legacy)) {
        case (true, false): return current
        case (false, true): return legacy
        default: return nil
        }
    }

    /// The checkpoint file's bytes when it is the whole state (an empty
    /// journal beside it), read under the directory's lock and released at
    /// once (so a load can take the lock while the bytes are scanned), or why not.
    public static func readWholeCheckpoint(directory: String) -> Result<[UInt8], ScanRefusal> {
        let directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var info = stat()
        guard stat(directory + "/journal", &info) == 0 else { return .failure(.init("no journal file")) }
        guard info.st_size == 0 else { return .failure(.init("the journal holds changes after the checkpoint")) }
        let lockFD = Glibc.open(directory + "/lock", O_RDWR | O_CLOEXEC)
        guard lockFD >= 0 else { return .failure(.init("no lock file")) }
        defer { Glibc.close(lockFD) }
        guard flock(lockFD, LOCK_EX | LOCK_NB) == 0 else { return .failure(.init("the directory is locked")) }
        defer { flock(lockFD, LOCK_UN) }
        guard let path = soleCheckpointPath(directory: directory) else {
            return .failure(.init("no checkpoint file, or both a checkpoint and an older version's snapshot"))
        }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.init("cannot open \(path)")) }
        defer { Glibc.close(fd) }
        do {
            return .success(try POSIX.readAll(fd, path: path))
        } catch {
            return .failure(.init("\(error)"))
        }
    }

    /// Why a checkpoint cannot be served straight from the file.
    public struct ScanRefusal: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}

