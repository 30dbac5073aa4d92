/// The model's groups, packed: a slab of 36-byte rows with a free list, an
/// address index of 4-byte slots, and side tables for the few groups with a
/// pending switch, a version past 31 bits or a time outside 48 bits.
///
/// Apps are slots of ``AppStore``. Each app's groups form a list threaded
/// through the rows: an edge is `row << 1 | role` (0 primary, 1 backup), the
/// app row holds its first edge and each group row the next edge of its
/// primary's list and of its backup's, so membership costs no allocation.
struct GroupStore: Sendable {
    struct Row: Sendable {
        /// The low 32 bits of the created and updated times (ms).
        var createdLow: UInt32
        var updatedLow: UInt32
        /// Bits 0-15: created bits 32-47; bits 16-31: updated bits 32-47
        /// (the times as 48-bit signed values), or ``largeTimes`` when
        /// either time is kept in ``GroupStore/largeTimes``.
        var timesHigh: UInt32
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
        /// Both high halves at the smallest 48-bit value: that pair is kept in the side table instead.
        static let largeTimes: UInt32 = 0x8000_8000
        /// Times a row holds itself: 48-bit signed.
        static let timeRange = -(Int64(1) << 47)..<(Int64(1) << 47)

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
    /// Created and updated times of rows where either is outside ``Row/timeRange``
    /// or the pair looks like ``Row/largeTimes``.
    private var largeTimes: [UInt32: (created: Int64, updated: Int64)] = [:]
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

    /// The created and updated times of `row` (ms).
    func times(of row: Int) -> (created: Int64, updated: Int64) {
        let fields = slab[row]
        if fields.timesHigh == Row.largeTimes { return largeTimes[UInt32(row)]! }
        func time(_ low: UInt32, _ high: UInt32) -> Int64 {
            Int64(Int16(truncatingIfNeeded: high)) << 32 | Int64(low)
        }
        return (time(fields.createdLow, fields.timesHigh), time(fields.updatedLow, fields.timesHigh >> 16))
    }

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
        let row = Row(createdLow: 0, updatedLow: 0, timesHigh: 0, address: address.value, primary: 0, backup: 0,
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
        largeTimes[UInt32(row)] = nil
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
        let key = UInt32(row)
        let high = UInt32(UInt16(truncatingIfNeeded: group.created >> 32))
            | UInt32(UInt16(truncatingIfNeeded: group.updated >> 32)) << 16
        if Row.timeRange.contains(group.created), Row.timeRange.contains(group.updated), high != Row.largeTimes {
            slab[row].timesHigh = high
            largeTimes[key] = nil
        } else {
            slab[row].timesHigh = Row.largeTimes
            largeTimes[key] = (group.created, group.updated)
        }
        slab[row].createdLow = UInt32(truncatingIfNeeded: group.created)
        slab[row].updatedLow = UInt32(truncatingIfNeeded: group.updated)
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
            + largeVersions.capacity * (4 + 8) + largeTimes.capacity * (4 + 16)
    }
}
