/// An open-addressing hash index from a key to a row number, for tables
/// whose keys live in their rows: a slot holds only the row number (4
/// bytes), and the caller hashes and compares keys. Linear probing, removal
/// by backward shift (no tombstones), so a lookup stays short after any
/// number of deletes.
struct RowIndex: Sendable {
    /// Row + 1; 0 marks an empty slot.
    private var slots: [UInt32]
    private(set) var count = 0
    private var mask: Int

    /// Smallest table: 16 slots.
    private static let minimumCapacity = 16

    init(capacity: Int = 0) {
        var size = Self.minimumCapacity
        while Self.isFull(capacity, size) { size <<= 1 }
        slots = [UInt32](repeating: 0, count: size)
        mask = size - 1
    }

    /// Grown at a load of three quarters: probes stay short, 5.3 bytes a row or more.
    private static func isFull(_ count: Int, _ capacity: Int) -> Bool { count * 4 >= capacity * 3 }

    /// The row whose key hashes to `hash` and satisfies `matches`, or nil.
    @inline(__always)
    func find(hash: Int, matches: (Int) -> Bool) -> Int? {
        var slot = hash & mask
        while true {
            let value = slots[slot]
            if value == 0 { return nil }
            if matches(Int(value) - 1) { return Int(value) - 1 }
            slot = (slot + 1) & mask
        }
    }

    /// Adds `row`, whose key is not in the index yet; `hashOf` gives the
    /// hash of any row's key (to move rows when the table grows).
    mutating func insert(row: Int, hash: Int, hashOf: (Int) -> Int) {
        if Self.isFull(count + 1, slots.count) { grow(hashOf: hashOf) }
        place(row, hash: hash)
        count += 1
    }

    private mutating func place(_ row: Int, hash: Int) {
        var slot = hash & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = UInt32(row + 1)
    }

    private mutating func grow(hashOf: (Int) -> Int) {
        let old = slots
        slots = [UInt32](repeating: 0, count: old.count * 2)
        mask = slots.count - 1
        for value in old where value != 0 { place(Int(value) - 1, hash: hashOf(Int(value) - 1)) }
    }

    /// Removes `row`, whose key hashes to `hash`; later rows of its probe run
    /// move back so every row stays reachable from its home slot.
    mutating func remove(row: Int, hash: Int, hashOf: (Int) -> Int) {
        var slot = hash & mask
        while slots[slot] != UInt32(row + 1) {
            guard slots[slot] != 0 else { return }
            slot = (slot + 1) & mask
        }
        count -= 1
        var hole = slot
        var next = (hole + 1) & mask
        while slots[next] != 0 {
            let home = hashOf(Int(slots[next]) - 1) & mask
            // The row at `next` may fill the hole when its home is not inside (hole, next].
            if (next - home) & mask >= (next - hole) & mask {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = 0
    }

    /// Bytes held, for the memory breakdown.
    var byteCount: Int { slots.capacity * MemoryLayout<UInt32>.stride }
}
