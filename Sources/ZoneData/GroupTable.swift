import DNSWire

/// Failover groups by address, for the query path: an open-addressing table
/// of 32-bit addresses with, per slot, the index of the active app's answer
/// in ``answers`` (-1: none, answered NODATA) and whether a switch is
/// pending. 8-byte slots, 1.4 a group when built, rebuilt past a load of
/// 0.8: about 11 bytes a group (a power-of-two size could take 16). Probe
/// runs stay within a cache line or two. The due times of pending switches
/// sit beside the slots, in a run of its own for only the chunks that hold
/// one (most hold none).
///
/// Persistent: ``updating(answers:entries:)`` returns a new table that shares
/// every chunk of slots it did not touch with this one, so a commit costs the
/// chunks it changes plus one array of chunk references, not a rebuild. The
/// table also keeps a plain array of the chunks' base pointers, so a lookup
/// does no reference counting.
// Unchecked: raw pointers to chunks that are never written once the table is published.
public final class GroupTable: @unchecked Sendable {
    /// Marks an empty slot: addresses stop at 999,999,999.
    static let emptyKey = UInt32.max
    /// Slots per chunk: 1,024 x 8 bytes keeps a copied chunk at 8 KiB.
    static let chunkShift = 10
    static let chunkSize = 1 << chunkShift

    public struct Entry: Sendable {
        public var address: UInt32
        public var answer: Int32
        /// Due time of a pending switch, ms since the Unix epoch; 0 when none.
        public var due: Int64

        public init(address: UInt32, answer: Int32, due: Int64) {
            self.address = address
            self.answer = answer
            self.due = due
        }
    }

    /// A change to one group: its new entry, or its removal.
    public enum Change: Sendable {
        case put(Entry)
        case remove(UInt32)
    }

    /// One slot as stored: the key and `answer + 1` in bits 0-30 of
    /// `value`, bit 31 set when a switch is pending (its due time is in the
    /// chunk's ``Chunk/dues``).
    struct Slot: Sendable {
        var key: UInt32
        var value: UInt32

        static let pending: UInt32 = 1 << 31
        static let empty = Slot(key: GroupTable.emptyKey, value: 0)

        init(key: UInt32, value: UInt32) {
            self.key = key
            self.value = value
        }

        init(key: UInt32, answer: Int32, due: Int64) {
            self.key = key
            value = UInt32(bitPattern: answer &+ 1) & ~Self.pending | (due != 0 ? Self.pending : 0)
        }

        @inline(__always)
        var answer: Int32 { Int32(bitPattern: value & ~Self.pending) &- 1 }
        @inline(__always)
        var isPending: Bool { value & Self.pending != 0 }
    }

    /// A slot with its due time, as updates read and write it.
    struct Full {
        var key: UInt32
        var answer: Int32
        var due: Int64

        static let empty = Full(key: GroupTable.emptyKey, answer: -1, due: 0)
    }

    /// A run of slots in memory of its own, and the due times of its pending
    /// switches when it has any; written only before the table that first
    /// holds it is published (so `@unchecked Sendable` is safe).
    final class Chunk: @unchecked Sendable {
        let slots: UnsafeMutablePointer<Slot>
        /// Due time by slot, valid where the slot is pending; nil when none is.
        private(set) var dues: UnsafeMutablePointer<Int64>?
        let length: Int

        /// Copies `length` slots, and the due times when `dues` is given and a slot is pending.
        init(copying source: UnsafePointer<Slot>, dues sourceDues: UnsafePointer<Int64>?, length: Int) {
            slots = .allocate(capacity: length)
            slots.initialize(from: source, count: length)
            self.length = length
            if let sourceDues, (0..<length).contains(where: { source[$0].isPending }) {
                let dues = UnsafeMutablePointer<Int64>.allocate(capacity: length)
                dues.initialize(from: sourceDues, count: length)
                self.dues = dues
            }
        }

        convenience init(copying chunk: Chunk) {
            self.init(copying: chunk.slots, dues: chunk.dues, length: chunk.length)
        }

        deinit {
            slots.deallocate()
            dues?.deallocate()
        }

        subscript(index: Int) -> Full {
            get {
                let slot = slots[index]
                return Full(key: slot.key, answer: slot.answer, due: slot.isPending ? dues![index] : 0)
            }
            set {
                slots[index] = Slot(key: newValue.key, answer: newValue.answer, due: newValue.due)
                guard newValue.due != 0 else { return }
                if dues == nil {
                    dues = .allocate(capacity: length)
                    dues!.initialize(repeating: 0, count: length)
                }
                dues![index] = newValue.due
            }
        }
    }

    public let answers: AnswerTable
    /// TTL of group answers, seconds.
    public let ttl: UInt32
    public let count: Int
    private let chunks: [Chunk]
    private let bases: UnsafeMutablePointer<UnsafeMutablePointer<Slot>>
    /// Each chunk's due times (nil for a chunk with no pending switch).
    private let dueBases: UnsafeMutablePointer<UnsafeMutablePointer<Int64>?>
    /// Slots in all; any number, in whole chunks once over one chunk.
    private let capacity: Int

    private init(ttl: UInt32, answers: AnswerTable, count: Int, chunks: [Chunk], capacity: Int) {
        self.ttl = ttl
        self.answers = answers
        self.count = count
        self.chunks = chunks
        self.capacity = capacity
        bases = .allocate(capacity: chunks.count)
        bases.initialize(from: chunks.map(\.slots), count: chunks.count)
        dueBases = .allocate(capacity: chunks.count)
        dueBases.initialize(from: chunks.map(\.dues), count: chunks.count)
    }

    deinit {
        bases.deallocate()
        dueBases.deallocate()
    }

    /// Builds a table from scratch; `answers[i]` is answer index `i`.
    public convenience init(ttl: UInt32, answers: [WebHeadAnswer], entries: [Entry]) {
        self.init(ttl: ttl, answers: AnswerTable(answers), entries: entries)
    }

    public convenience init(ttl: UInt32, answers: AnswerTable, entries: [Entry]) {
        let capacity = Self.capacity(for: entries.count)
        var slots = [Slot](repeating: .empty, count: capacity)
        // Due times by slot, only when some switch is pending.
        var dues: [Int64] = entries.contains { $0.due != 0 } ? Array(repeating: 0, count: capacity) : []
        var count = 0
        for entry in entries {
            var slot = Self.home(entry.address, capacity)
            while slots[slot].key != Self.emptyKey && slots[slot].key != entry.address {
                slot = Self.after(slot, capacity)
            }
            if slots[slot].key == Self.emptyKey { count += 1 }
            slots[slot] = Slot(key: entry.address, answer: entry.answer, due: entry.due)
            if entry.due != 0 { dues[slot] = entry.due }
        }
        let chunkCount = max(1, capacity >> Self.chunkShift)
        let chunkLength = capacity / chunkCount
        let chunks = slots.withUnsafeBufferPointer { all in
            dues.withUnsafeBufferPointer { due in
                (0..<chunkCount).map { index in
                    Chunk(copying: all.baseAddress! + index * chunkLength,
                          dues: dues.isEmpty ? nil : due.baseAddress! + index * chunkLength, length: chunkLength)
                }
            }
        }
        self.init(ttl: ttl, answers: answers, count: count, chunks: chunks, capacity: capacity)
    }

    /// Slots for `count` groups: 1.4 a group (a load of 0.71), at least 16,
    /// in whole chunks once over one chunk.
    static func capacity(for count: Int) -> Int {
        let wanted = max(16, count + count * 2 / 5)
        return wanted <= chunkSize ? wanted : (wanted + chunkSize - 1) / chunkSize * chunkSize
    }

    /// Whether `count` groups are too many for `capacity` slots: past a load
    /// of 0.8, probe runs grow quickly.
    static func isCrowded(_ count: Int, _ capacity: Int) -> Bool { count * 5 > capacity * 4 }

    /// The home slot of `address`: Fibonacci hashing spreads the
    /// sequential-looking decimal values over 32 bits, scaled to the capacity.
    @inline(__always)
    static func home(_ address: UInt32, _ capacity: Int) -> Int {
        let hash = (UInt64(address) &* 0x9E37_79B9_7F4A_7C15) >> 32
        return Int(truncatingIfNeeded: (hash &* UInt64(capacity)) >> 32)
    }

    @inline(__always)
    static func after(_ slot: Int, _ capacity: Int) -> Int { slot + 1 == capacity ? 0 : slot + 1 }

    /// The entry for an address, or nil.
    @inline(__always)
    public func find(_ address: UInt32) -> (answer: Int32, due: Int64)? {
        var slot = Self.home(address, capacity)
        while true {
            let entry = bases[slot >> Self.chunkShift][slot & (Self.chunkSize - 1)]
            if entry.key == address {
                guard entry.isPending else { return (entry.answer, 0) }
                return (entry.answer, dueBases[slot >> Self.chunkShift]![slot & (Self.chunkSize - 1)])
            }
            if entry.key == Self.emptyKey { return nil }
            slot = Self.after(slot, capacity)
        }
    }

    /// The same groups with another TTL (a reload); shares all storage.
    public func withTTL(_ ttl: UInt32) -> GroupTable {
        GroupTable(ttl: ttl, answers: answers, count: count, chunks: chunks, capacity: capacity)
    }

    /// A new table with `answers` replaced and `changes` applied in order;
    /// chunks no change touches are shared with this table.
    public func updating(answers: AnswerTable, entries changes: [Change]) -> GroupTable {
        let inserts = changes.reduce(0) { if case .put = $1 { $0 + 1 } else { $0 } }
        if Self.isCrowded(count + inserts, capacity) { return rebuilt(answers: answers, applying: changes) }
        var editor = ChunkEditor(chunks: chunks)
        var count = self.count
        for change in changes {
            switch change {
            case .put(let entry):
                var slot = Self.home(entry.address, capacity)
                while true {
                    let key = editor[slot].key
                    if key == entry.address || key == Self.emptyKey { break }
                    slot = Self.after(slot, capacity)
                }
                if editor[slot].key == Self.emptyKey { count += 1 }
                editor[slot] = Full(key: entry.address, answer: entry.answer, due: entry.due)
            case .remove(let address):
                if remove(address, from: &editor) { count -= 1 }
            }
        }
        return GroupTable(ttl: ttl, answers: answers, count: count, chunks: editor.finish(), capacity: capacity)
    }

    /// Linear-probing removal by backward shift: later entries of the same
    /// run move up, so no tombstones are left behind.
    private func remove(_ address: UInt32, from editor: inout ChunkEditor) -> Bool {
        var hole = Self.home(address, capacity)
        while editor[hole].key != address {
            if editor[hole].key == Self.emptyKey { return false }
            hole = Self.after(hole, capacity)
        }
        var next = hole
        while true {
            next = Self.after(next, capacity)
            let entry = editor[next]
            if entry.key == Self.emptyKey { break }
            let home = Self.home(entry.key, capacity)
            // The entry may stay when its home lies cyclically in (hole, next].
            let stays = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next)
            if stays { continue }
            editor[hole] = entry
            hole = next
        }
        editor[hole] = .empty
        return true
    }

    private func rebuilt(answers: AnswerTable, applying changes: [Change]) -> GroupTable {
        var entries: [UInt32: Entry] = [:]
        entries.reserveCapacity(count + changes.count)
        forEach { entries[$0] = Entry(address: $0, answer: $1, due: $2) }
        for change in changes {
            switch change {
            case .put(let entry): entries[entry.address] = entry
            case .remove(let address): entries[address] = nil
            }
        }
        return GroupTable(ttl: ttl, answers: answers, entries: Array(entries.values))
    }

    /// Copy-on-write access to chunks during one update: a chunk is copied
    /// the first time it is written.
    private struct ChunkEditor {
        var chunks: [Chunk]
        var copied: Set<Int> = []

        init(chunks: [Chunk]) { self.chunks = chunks }

        subscript(slot: Int) -> Full {
            get { chunks[slot >> GroupTable.chunkShift][slot & (GroupTable.chunkSize - 1)] }
            set {
                let chunk = slot >> GroupTable.chunkShift
                if copied.insert(chunk).inserted { chunks[chunk] = Chunk(copying: chunks[chunk]) }
                chunks[chunk][slot & (GroupTable.chunkSize - 1)] = newValue
            }
        }

        func finish() -> [Chunk] { chunks }
    }
}

extension GroupTable {
    /// Parses a DNS label `NNN-NNN-NNN` (11 bytes) into its 32-bit value.
    @inline(__always)
    public static func address(fromLabel label: UnsafeRawBufferPointer) -> UInt32? {
        guard label.count == 11, label[3] == UInt8(ascii: "-"), label[7] == UInt8(ascii: "-") else { return nil }
        var value: UInt32 = 0
        for index in 0..<11 where index != 3 && index != 7 {
            let digit = label[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + UInt32(digit)
        }
        return value
    }

    /// Calls `body` for every group (address, answer index, due), in table order.
    public func forEach(_ body: (UInt32, Int32, Int64) -> Void) {
        for chunk in chunks {
            for index in 0..<chunk.length where chunk.slots[index].key != Self.emptyKey {
                let slot = chunk[index]
                body(slot.key, slot.answer, slot.due)
            }
        }
    }

    /// The group name label `NNN-NNN-NNN` for an address.
    public static func label(_ address: UInt32) -> [UInt8] {
        var digits = [UInt8](repeating: UInt8(ascii: "0"), count: 11)
        var value = address
        for index in stride(from: 10, through: 0, by: -1) where index != 3 && index != 7 {
            digits[index] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
        }
        digits[3] = UInt8(ascii: "-")
        digits[7] = UInt8(ascii: "-")
        return digits
    }
}
