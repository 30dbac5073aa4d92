/// An open-addressing hash index from a key to a row number, for tables
/// whose keys live in their rows: a slot holds only the row number (4
/// bytes), and the caller hashes and compares keys. Linear probing, removal
/// by backward shift (no tombstones), so a lookup stays short after any
/// number of deletes.
///
/// The capacity need not be a power of two (a hash maps to a slot by
/// multiply-shift), so the table grows by half and a loaded state is sized
/// to its count: 5.3 to 8 bytes a row, where doubling could leave 16.
struct RowIndex: Sendable {
    /// Row + 1; 0 marks an empty slot.
    private var slots: [UInt32]
    private(set) var count = 0

    /// Smallest table: 16 slots.
    private static let minimumCapacity = 16

    /// An index sized for `count` rows.
    init(capacity count: Int = 0) {
        slots = [UInt32](repeating: 0, count: Self.capacity(for: count))
    }

    /// Slots for `count` rows at a load of two thirds, between the growth points.
    private static func capacity(for count: Int) -> Int { max(minimumCapacity, count + count / 2) }

    /// Grown at a load of three quarters: probes stay short.
    private static func isFull(_ count: Int, _ capacity: Int) -> Bool { count * 4 >= capacity * 3 }

    /// The home slot of `hash`: its low 32 bits scaled to the capacity.
    @inline(__always)
    private func home(_ hash: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(UInt32(truncatingIfNeeded: hash)) &* UInt64(slots.count)) >> 32)
    }

    @inline(__always)
    private func after(_ slot: Int) -> Int { slot + 1 == slots.count ? 0 : slot + 1 }

    /// The row whose key hashes to `hash` and satisfies `matches`, or nil.
    @inline(__always)
    func find(hash: Int, matches: (Int) -> Bool) -> Int? {
        var slot = home(hash)
        while true {
            let value = slots[slot]
            if value == 0 { return nil }
            if matches(Int(value) - 1) { return Int(value) - 1 }
            slot = after(slot)
        }
    }

    /// Adds `row`, whose key is not in the index yet; `hashOf` gives the
    /// hash of any row's key (to move rows when the table grows).
    mutating func insert(row: Int, hash: Int, hashOf: (Int) -> Int) {
        if Self.isFull(count + 1, slots.count) { resize(to: slots.count + slots.count / 2, hashOf: hashOf) }
        place(row, hash: hash)
        count += 1
    }

    /// Adds `row` (key not in the index yet) when that needs no growth, as
    /// after ``reserve(_:hashOf:)``; false, adding nothing, otherwise.
    mutating func insertIfRoom(row: Int, hash: Int) -> Bool {
        guard !Self.isFull(count + 1, slots.count) else { return false }
        place(row, hash: hash)
        count += 1
        return true
    }

    /// Makes room for `count` rows without growing again.
    mutating func reserve(_ count: Int, hashOf: (Int) -> Int) {
        if Self.isFull(count, slots.count) { resize(to: Self.capacity(for: count), hashOf: hashOf) }
    }

    private mutating func place(_ row: Int, hash: Int) {
        var slot = home(hash)
        while slots[slot] != 0 { slot = after(slot) }
        slots[slot] = UInt32(row + 1)
    }

    private mutating func resize(to capacity: Int, hashOf: (Int) -> Int) {
        let old = slots
        slots = [UInt32](repeating: 0, count: capacity)
        for value in old where value != 0 { place(Int(value) - 1, hash: hashOf(Int(value) - 1)) }
    }

    /// Removes `row`, whose key hashes to `hash`; later rows of its probe run
    /// move back so every row stays reachable from its home slot.
    mutating func remove(row: Int, hash: Int, hashOf: (Int) -> Int) {
        var slot = home(hash)
        while slots[slot] != UInt32(row + 1) {
            guard slots[slot] != 0 else { return }
            slot = after(slot)
        }
        count -= 1
        let capacity = slots.count
        var hole = slot
        var next = after(hole)
        while slots[next] != 0 {
            let home = home(hashOf(Int(slots[next]) - 1))
            // The row at `next` may fill the hole when its home is not inside (hole, next].
            if (next - home + capacity) % capacity >= (next - hole + capacity) % capacity {
                slots[hole] = slots[next]
                hole = next
            }
            next = after(next)
        }
        slots[hole] = 0
    }

    /// Bytes held, for the memory breakdown.
    var byteCount: Int { slots.capacity * MemoryLayout<UInt32>.stride }
}
