import Foundation

/// One journal record: `[4-byte big-endian payload length][4-byte big-endian CRC-32C of payload][payload]`.
///
/// The payload is binary (``MutationBinary``, first byte 0x03, or 0x02 for a
/// record without its batch); journals written by earlier versions hold the
/// JSON of `{"seq": N, "mutation": {...}}` (first byte `{`), which is still read.
struct JournalRecord: Codable, Equatable {
    /// The sequence numbers of the batch a record was written in (one write, one fsync).
    struct Batch: Equatable {
        var first: UInt64
        var last: UInt64
    }

    /// Header: length then checksum, 4 bytes each.
    static let headerSize = 8
    /// Largest payload accepted on read; a mutation is under 4 KiB, so a bigger length is damage.
    static let maxPayloadSize = 1 << 20

    var seq: UInt64
    var mutation: Mutation
    /// Nil in records of earlier versions (and in the JSON of format 1).
    var batch: Batch? = nil

    private enum CodingKeys: String, CodingKey {
        case seq, mutation
    }

    /// The framed bytes of this record.
    func encoded() -> [UInt8] {
        Self.framed(MutationBinary.encode(seq: seq, mutation, batch: batch))
    }

    /// Appends the framed bytes of this record to `bytes` (one buffer for a whole batch).
    func encode(into bytes: inout [UInt8]) {
        let payload = MutationBinary.encode(seq: seq, mutation, batch: batch)
        Self.appendBigEndian(UInt32(payload.count), to: &bytes)
        Self.appendBigEndian(CRC32C.checksum(payload), to: &bytes)
        bytes += payload
    }

    /// The framed bytes in the JSON payload of format 1 (for upgrade tests).
    func encodedAsJSON() throws(FailoverError) -> [UInt8] {
        do {
            return Self.framed(Array(try JournalRecord.encoder.encode(self)))
        } catch {
            throw FailoverError(.internal, "cannot encode journal record \(seq): \(error)")
        }
    }

    /// Reads a payload of either format.
    static func decode(_ payload: ArraySlice<UInt8>) throws -> JournalRecord {
        if let first = payload.first, MutationBinary.isMarker(first) {
            do {
                return try MutationBinary.decode(payload)
            } catch {
                throw FailoverError(.internal, "at payload byte \(error.offset): \(error.reason)")
            }
        }
        return try JSONDecoder().decode(JournalRecord.self, from: Data(payload))
    }

    private static func framed(_ payload: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.headerSize + payload.count)
        Self.appendBigEndian(UInt32(payload.count), to: &bytes)
        Self.appendBigEndian(CRC32C.checksum(payload), to: &bytes)
        bytes += payload
        return bytes
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    static func readBigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }
}

/// The result of reading a journal's bytes.
struct JournalScan {
    /// A record read whole, with the offset of its header.
    struct Entry {
        var offset: Int
        var record: JournalRecord
    }

    /// Where reading stopped.
    enum Ending: Equatable {
        /// The bytes end with a whole record (or are empty).
        case clean
        /// An unfinished last write from `offset` on: drop it.
        case tornTail(offset: Int, reason: String)
        /// Damage with valid data after it (or a record that does not decode): refuse to go on.
        case corrupt(offset: Int, reason: String)
    }

    var entries: [Entry] = []
    var ending: Ending = .clean

    /// Splits `bytes` into records.
    ///
    /// A bad record counts as a torn tail (cut off at its offset) when no valid record starts after it: a crash
    /// can leave a partial or garbled last write, but never a good record behind a bad one, except within the
    /// last batch. A batch goes out in one write, and pages of an unfinished write can reach the disk in any
    /// order, so a crash before its fsync completed may zero an earlier record of the batch and keep a later
    /// one. Damage followed only by records of the batch it lies in (by their batch header) is therefore a torn
    /// tail too: that batch was never acknowledged. Anything else after damage is corruption.
    init(_ bytes: [UInt8]) {
        var offset = 0
        var lastSeq: UInt64?
        while offset < bytes.count {
            switch Self.frame(bytes, at: offset) {
            case .failure(let problem):
                ending = Self.classifyDamage(in: bytes, at: offset, reason: problem.reason, before: entries.last?.record)
                return
            case .success(let payload):
                let record: JournalRecord
                do {
                    record = try JournalRecord.decode(bytes[payload])
                } catch {
                    ending = .corrupt(offset: offset, reason: "record does not decode: \(error)")
                    return
                }
                if let lastSeq, record.seq <= lastSeq {
                    ending = .corrupt(offset: offset, reason: "sequence \(record.seq) follows \(lastSeq)")
                    return
                }
                lastSeq = record.seq
                entries.append(Entry(offset: offset, record: record))
                offset = payload.upperBound
            }
        }
    }

    /// Decides what bad bytes at `offset` are, given the last good record before them.
    private static func classifyDamage(in bytes: [UInt8], at offset: Int, reason: String,
                                       before previous: JournalRecord?) -> Ending
    {
        let later = validRecords(in: bytes, after: offset)
        guard let first = later.first else { return .tornTail(offset: offset, reason: reason) }
        let corrupt = Ending.corrupt(offset: offset, reason: "\(reason), and valid records follow it")
        // Every later record must be of one batch, in order, with a header naming it.
        guard let batch = first.record?.batch else { return corrupt }
        var seq = previous?.seq ?? 0
        for entry in later {
            guard let record = entry.record, record.batch == batch, record.seq > seq else { return corrupt }
            seq = record.seq
        }
        // That batch is the one the damage lies in: the batch of the record before it, or, when that one ended
        // right before the damage, the next one (no whole batch lost in between).
        if let previous {
            if let previousBatch = previous.batch, previous.seq < previousBatch.last {
                guard previousBatch == batch else { return corrupt }
            } else {
                guard batch.first == previous.seq + 1 else { return corrupt }
            }
        }
        return .tornTail(
            offset: offset,
            reason: "\(reason); \(later.count) later record(s) of the same unfinished batch "
                + "(sequence \(batch.first)...\(batch.last)) dropped with it")
    }

    struct FrameProblem: Error {
        var reason: String
    }

    /// The payload range of a well-framed record with a good checksum at `offset`.
    static func frame(_ bytes: [UInt8], at offset: Int) -> Result<Range<Int>, FrameProblem> {
        let remaining = bytes.count - offset
        guard remaining >= JournalRecord.headerSize else {
            return .failure(FrameProblem(reason: "incomplete record header (\(remaining) of 8 bytes)"))
        }
        let length = Int(JournalRecord.readBigEndian(bytes, at: offset))
        guard length > 0, length <= JournalRecord.maxPayloadSize else {
            return .failure(FrameProblem(reason: "impossible record length \(length)"))
        }
        let start = offset + JournalRecord.headerSize
        guard length <= bytes.count - start else {
            return .failure(FrameProblem(reason: "record of \(length) bytes runs past the end of the file"))
        }
        let payload = start..<(start + length)
        guard CRC32C.checksum(bytes[payload]) == JournalRecord.readBigEndian(bytes, at: offset + 4) else {
            return .failure(FrameProblem(reason: "checksum mismatch"))
        }
        return .success(payload)
    }

    /// The records with a whole frame and a good checksum starting after `offset`, each found by trying every
    /// byte offset after the previous one, with the record when it decodes.
    static func validRecords(in bytes: [UInt8], after offset: Int) -> [(offset: Int, record: JournalRecord?)] {
        var found: [(offset: Int, record: JournalRecord?)] = []
        var candidate = offset + 1
        while candidate + JournalRecord.headerSize < bytes.count {
            // Lengths are at most 1 MiB, so the first length byte is 0: skips most offsets cheaply.
            let first = bytes[candidate + JournalRecord.headerSize]
            guard bytes[candidate] == 0, MutationBinary.isMarker(first) || first == UInt8(ascii: "{"),
                case .success(let payload) = frame(bytes, at: candidate)
            else {
                candidate += 1
                continue
            }
            found.append((candidate, try? JournalRecord.decode(bytes[payload])))
            candidate = payload.upperBound
        }
        return found
    }
}
