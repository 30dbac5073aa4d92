/// An array of rows with a free list: a freed row is handed out again
/// before the array grows, so row numbers stay small and stable while in use.
struct Slab<Row: Sendable>: Sendable {
    private(set) var rows: [Row] = []
    private var free: [UInt32] = []

    /// Stores `row` in a free place or at the end; returns its number.
    mutating func add(_ row: Row) -> Int {
        if let reused = free.popLast() {
            rows[Int(reused)] = row
            return Int(reused)
        }
        rows.append(row)
        return rows.count - 1
    }

    /// Overwrites row `number` with `empty` and makes the place free.
    mutating func release(_ number: Int, as empty: Row) {
        rows[number] = empty
        free.append(UInt32(number))
    }

    mutating func reserve(_ count: Int) { rows.reserveCapacity(count) }

    subscript(number: Int) -> Row {
        get { rows[number] }
        set { rows[number] = newValue }
    }

    /// Bytes held, for the memory breakdown.
    var byteCount: Int { rows.capacity * MemoryLayout<Row>.stride + free.capacity * MemoryLayout<UInt32>.stride }
}
