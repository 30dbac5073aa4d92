/// The model's groups, packed: a slab of 48-byte rows with a free list, an
/// address index of 4-byte slots, and a side table for the few groups with a
/// pending switch.
///
/// Apps are slots of ``AppStore``. Each app's groups form a list threaded
/// through the rows: an edge is `row << 1 | role` (0 primary, 1 backup), the
/// app row holds its first edge and each group row the next edge of its
/// primary's list and of its backup's, so membership costs no allocation.
struct GroupStore: Sendable {
    struct Row: Sendable {
        var version: UInt64
        var created: Int64
        var updated: Int64
        /// ``GroupStore/freeAddress`` for a free row.
        var address: UInt32
        /// App slot + 1; 0 when the role is empty.
        var primary: UInt32
        var backup: UInt32
        /// Next edge + 1 in the primary's and in the backup's list; 0 ends it.
        var nextPrimary: UInt32
        var nextBackup: UInt32
        /// Bit 31: the backup is active; bits 0-30: pending switch index + 1.
        var flags: UInt32

        static let activeBackup: UInt32 = 1 << 31

        var active: Role { flags & Self.activeBackup != 0 ? .backup : .primary }
        var pendingIndex: Int? { flags & ~Self.activeBackup == 0 ? nil : Int(flags & ~Self.activeBackup) - 1 }

        func app(_ role: Role) -> UInt32 { role == .primary ? primary : backup }
    }

    /// A pending switch and the row it belongs to.
    struct Pending: Sendable {
        var row: UInt32
        var value: PendingSwitch
    }

    /// Marks a free row: addresses stop at 999,999,999.
    static let freeAddress = UInt32.max

    private var slab = Slab<Row>()
    private var index = RowIndex()
    private var pendingSlab = Slab<Pending?>()
    private(set) var count = 0
    private(set) var pendingCount = 0

    init() {}

    var rows: [Row] { slab.rows }
    /// Pending switches by index; nil where free.
    var pendings: [Pending?] { pendingSlab.rows }

    @inline(__always)
    static func hash(_ address: UInt32) -> Int {
        // Fibonacci hashing spreads the sequential-looking decimal values.
        Int(truncatingIfNeeded: (UInt64(address) &* 0x9E37_79B9_7F4A_7C15) >> 32)
    }

    func row(of address: GroupAddress) -> Int? {
        index.find(hash: Self.hash(address.value)) { slab[$0].address == address.value }
    }

    func pending(of row: Int) -> PendingSwitch? {
        slab[row].pendingIndex.map { pendings[$0]!.value }
    }

    /// Rows in use, in row order.
    var liveRows: some Sequence<Int> { slab.rows.indices.lazy.filter { slab[$0].address != Self.freeAddress } }

    // MARK: Changes

    /// Adds a row for `address`, which has none; apps and links are the caller's.
    mutating func insert(_ address: GroupAddress) -> Int {
        let row = Row(version: 1, created: 0, updated: 0, address: address.value, primary: 0, backup: 0,
                      nextPrimary: 0, nextBackup: 0, flags: 0)
        let slot = slab.add(row)
        let current = rows
        index.insert(row: slot, hash: Self.hash(address.value)) { Self.hash(current[$0].address) }
        count += 1
        return slot
    }

    /// Frees `row`, already unlinked from its apps' lists.
    mutating func remove(_ row: Int) {
        setPending(row, nil)
        do {
            // A copy for the closure, gone before the rows change (else they would be copied whole).
            let current = rows
            index.remove(row: row, hash: Self.hash(current[row].address)) { Self.hash(current[$0].address) }
        }
        var freed = slab[row]
        freed.address = Self.freeAddress
        slab.release(row, as: freed)
        count -= 1
    }

    /// Sets the app slots (+ 1) of `row`; the lists are the caller's.
    mutating func setApps(_ row: Int, primary: UInt32, backup: UInt32) {
        slab[row].primary = primary
        slab[row].backup = backup
    }

    /// Writes the plain fields of `group` into `row` (not its apps).
    mutating func setFields(_ row: Int, from group: Group) {
        slab[row].version = group.version
        slab[row].created = group.created
        slab[row].updated = group.updated
        let pendingBits = slab[row].flags & ~Row.activeBackup
        slab[row].flags = pendingBits | (group.active == .backup ? Row.activeBackup : 0)
        setPending(row, group.pending)
    }

    private mutating func setPending(_ row: Int, _ value: PendingSwitch?) {
        let current = slab[row].pendingIndex
        switch (current, value) {
        case (nil, nil):
            return
        case (let index?, let value?):
            pendingSlab[index]!.value = value
        case (let index?, nil):
            pendingSlab.release(index, as: nil)
            slab[row].flags &= Row.activeBackup
            pendingCount -= 1
        case (nil, let value?):
            let index = pendingSlab.add(Pending(row: UInt32(row), value: value))
            slab[row].flags = (slab[row].flags & Row.activeBackup) | UInt32(index + 1)
            pendingCount += 1
        }
    }

    // MARK: Membership lists

    /// The edge after `edge` (+ 1; 0 ends the list).
    @inline(__always)
    func next(after edge: Int) -> UInt32 {
        edge & 1 == 0 ? slab[edge >> 1].nextPrimary : slab[edge >> 1].nextBackup
    }

    private mutating func setNext(of edge: Int, _ value: UInt32) {
        if edge & 1 == 0 { slab[edge >> 1].nextPrimary = value } else { slab[edge >> 1].nextBackup = value }
    }

    /// Puts `role` of `row` at the front of the list starting at `head`.
    mutating func link(_ row: Int, _ role: Role, head: inout UInt32) {
        let edge = row << 1 | (role == .primary ? 0 : 1)
        setNext(of: edge, head)
        head = UInt32(edge + 1)
    }

    /// Takes `role` of `row` out of the list starting at `head`: O(list length).
    mutating func unlink(_ row: Int, _ role: Role, head: inout UInt32) {
        let edge = row << 1 | (role == .primary ? 0 : 1)
        if head == UInt32(edge + 1) {
            head = next(after: edge)
            return
        }
        var previous = Int(head) - 1
        while previous >= 0 {
            let following = next(after: previous)
            if following == UInt32(edge + 1) {
                setNext(of: previous, next(after: edge))
                return
            }
            previous = Int(following) - 1
        }
    }

    /// The row and role of every edge of the list at `head`.
    func edges(from head: UInt32) -> Edges { Edges(rows: rows, edge: Int(head) - 1) }

    struct Edges: Sequence, IteratorProtocol {
        let rows: [Row]
        var edge: Int

        mutating func next() -> (row: Int, role: Role)? {
            guard edge >= 0 else { return nil }
            defer {
                let row = rows[edge >> 1]
                edge = Int(edge & 1 == 0 ? row.nextPrimary : row.nextBackup) - 1
            }
            return (edge >> 1, edge & 1 == 0 ? .primary : .backup)
        }
    }

    /// Bytes held, for the memory breakdown.
    var byteCount: Int {
        slab.byteCount + index.byteCount + pendingSlab.byteCount
    }
}
