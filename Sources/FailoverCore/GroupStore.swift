/// The model's groups, packed: a slab of 40-byte rows with a free list, an
/// address index of 4-byte slots, and side tables for the few groups with a
/// pending switch or a version past 31 bits.
///
/// Apps are slots of ``AppStore``. Each app's groups form a list threaded
/// through the rows: an edge is `row << 1 | role` (0 primary, 1 backup), the
/// app row holds its first edge and each group row the next edge of its
/// primary's list and of its backup's, so membership costs no allocation.
struct GroupStore: Sendable {
    struct Row: Sendable {
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
        /// Bit 31: the backup is active; bits 0-30: the version, or
        /// ``largeVersion`` when it is kept in ``GroupStore/largeVersions``.
        var state: UInt32

        static let activeBackup: UInt32 = 1 << 31
        static let largeVersion: UInt32 = activeBackup - 1

        var active: Role { state & Self.activeBackup != 0 ? .backup : .primary }

        func app(_ role: Role) -> UInt32 { role == .primary ? primary : backup }
    }

    /// Marks a free row: addresses stop at 999,999,999.
    static let freeAddress = UInt32.max

    private var slab = Slab<Row>()
    private var index = RowIndex()
    /// Pending switches by row.
    private(set) var pendings: [UInt32: PendingSwitch] = [:]
    /// Versions of `Row.largeVersion` or more, by row.
    private var largeVersions: [UInt32: UInt64] = [:]
    /// Policies that differ from ``GroupPolicy/default``, by row.
    private(set) var policies: [UInt32: GroupPolicy] = [:]
    private(set) var count = 0
    var pendingCount: Int { pendings.count }

    init() {}

    var rows: [Row] { slab.rows }

    @inline(__always)
    static func hash(_ address: UInt32) -> Int {
        // Fibonacci hashing spreads the sequential-looking decimal values.
        Int(truncatingIfNeeded: (UInt64(address) &* 0x9E37_79B9_7F4A_7C15) >> 32)
    }

    func row(of address: GroupAddress) -> Int? {
        index.find(hash: Self.hash(address.value)) { slab[$0].address == address.value }
    }

    func pending(of row: Int) -> PendingSwitch? { pendings[UInt32(row)] }

    func version(of row: Int) -> UInt64 {
        let bits = slab[row].state & ~Row.activeBackup
        return bits == Row.largeVersion ? largeVersions[UInt32(row)]! : UInt64(bits)
    }

    /// Rows in use, in row order.
    var liveRows: some Sequence<Int> { slab.rows.indices.lazy.filter { slab[$0].address != Self.freeAddress } }

    // MARK: Changes

    /// Makes room for `count` groups (a load that knows how many).
    mutating func reserve(_ count: Int) {
        slab.reserve(count)
        let current = slab.rows
        index.reserve(count) { Self.hash(current[$0].address) }
    }

    /// Adds a row for `address`, which has none; apps and links are the caller's.
    mutating func insert(_ address: GroupAddress) -> Int {
        let row = Row(created: 0, updated: 0, address: address.value, primary: 0, backup: 0,
                      nextPrimary: 0, nextBackup: 0, state: 1)
        let slot = slab.add(row)
        let current = rows
        index.insert(row: slot, hash: Self.hash(address.value)) { Self.hash(current[$0].address) }
        count += 1
        return slot
    }

    /// Frees `row`, already unlinked from its apps' lists.
    mutating func remove(_ row: Int) {
        pendings[UInt32(row)] = nil
        largeVersions[UInt32(row)] = nil
        policies[UInt32(row)] = nil
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
        slab[row].created = group.created
        slab[row].updated = group.updated
        let key = UInt32(row)
        let versionBits: UInt32
        if group.version < UInt64(Row.largeVersion) {
            versionBits = UInt32(group.version)
            largeVersions[key] = nil
        } else {
            versionBits = Row.largeVersion
            largeVersions[key] = group.version
        }
        slab[row].state = versionBits | (group.active == .backup ? Row.activeBackup : 0)
        pendings[key] = group.pending
        policies[key] = group.policy.isDefault ? nil : group.policy
    }

    func policy(of row: Int) -> GroupPolicy { policies[UInt32(row)] ?? .default }

    mutating func setPolicy(_ row: Int, _ policy: GroupPolicy) {
        policies[UInt32(row)] = policy.isDefault ? nil : policy
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
        slab.byteCount + index.byteCount + pendings.capacity * (4 + MemoryLayout<PendingSwitch>.stride)
            + policies.capacity * (4 + MemoryLayout<GroupPolicy>.stride)
            + largeVersions.capacity * (4 + 8)
    }
}
