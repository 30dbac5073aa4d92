import DNSWire
/// The model's apps, packed: a slab of 12-byte rows whose id, name and web
/// head are one record in a shared byte arena, an id index of 4-byte slots,
/// and a free list so removed rows are reused. A row's number (its slot) is
/// what group rows store instead of an ``AppID``.
///
/// A slot can also hold a bare id that groups reference but that is not an
/// app (only in a state read from disk that ``FailoverModel/invariantViolation()``
/// then refuses); it lives while a group references it.
///
/// Arena record: u8 id length, id, u8 kind (``Kind``); for an app then a
/// big-endian u16 name length, name, and the web head: a hostname as u8
/// length and bytes, addresses as u8 count then per address u8 length (4 or
/// 16) and bytes.
struct AppStore: Sendable {
    /// 12 bytes: the record's offset (52 bits) and length (12 bits) packed into two words.
    struct Row: Sendable {
        private var offsetLow: UInt32
        /// Bits 0-11: record length; bits 12-31: offset bits 32-51.
        private var lengthAndOffsetHigh: UInt32
        /// First membership edge + 1 (see ``GroupStore``); 0 when in no group.
        var members: UInt32

        /// Longest record, with room: id 1 + 128, kind 1, name 2 + 800, head 1 + 16 x 17.
        static let maxLength = 1 << 12 - 1

        init(offset: Int, length: UInt32, members: UInt32) {
            offsetLow = 0
            lengthAndOffsetHigh = 0
            self.members = members
            self.offset = offset
            self.length = length
        }

        /// Where the record starts in ``AppStore/arena``.
        var offset: Int {
            get { Int(offsetLow) | Int(lengthAndOffsetHigh >> 12) << 32 }
            set {
                offsetLow = UInt32(truncatingIfNeeded: newValue)
                lengthAndOffsetHigh = lengthAndOffsetHigh & 0xFFF | UInt32(newValue >> 32) << 12
            }
        }

        /// Record length; 0 marks a free row.
        var length: UInt32 {
            get { lengthAndOffsetHigh & 0xFFF }
            set {
                precondition(newValue <= UInt32(Self.maxLength), "app record of \(newValue) bytes")
                lengthAndOffsetHigh = lengthAndOffsetHigh & ~0xFFF | newValue
            }
        }
    }

    enum Kind: UInt8 {
        case noWebHead = 0
        case hostname = 1
        case addresses = 2
        /// A referenced id that is not an app.
        case reference = 3
    }

    private var slab = Slab<Row>()
    private var arena: [UInt8] = []
    /// Arena bytes no row points at; compacted away when they outgrow the rest.
    private var garbage = 0
    /// The places of freed records by length, reused by the next record of
    /// that length: an app put again with a web head or name of another
    /// length takes a freed place instead of growing the arena.
    private var holes: [UInt16: [Int]] = [:]
    private var index = RowIndex()
    /// Apps, not counting bare references.
    private(set) var count = 0
    /// Health checks by slot, for the apps that have one (few fields, set rarely: no arena bytes).
    private(set) var healthChecks: [UInt32: HealthCheck] = [:]

    /// Arena garbage below this is never worth a compaction pass: 1 MiB.
    private static let compactionFloor = 1 << 20

    init() {}

    var rows: [Row] { slab.rows }

    // MARK: Lookup

    /// The slot holding `id` (an app or a bare reference), or nil.
    func slot(of id: AppID) -> Int? {
        var text = id.rawValue
        return text.withUTF8 { slot(ofID: $0) }
    }

    private func slot(ofID key: UnsafeBufferPointer<UInt8>) -> Int? {
        index.find(hash: Self.hash(key)) { row in idBytes(row) { $0.elementsEqual(key) } }
    }

    /// Whether `slot` holds an app (not a free row or a bare reference).
    func isApp(_ slot: Int) -> Bool {
        slab[slot].length != 0 && kind(slot) != .reference
    }

    func id(at slot: Int) -> AppID {
        idBytes(slot) { AppID(unchecked: String(decoding: $0, as: UTF8.self)) }
    }

    /// The app in `slot`, or nil for a bare reference.
    func app(at slot: Int) -> App? {
        let row = slab[slot]
        var at = row.offset + 1 + Int(arena[row.offset])
        let id = self.id(at: slot)
        guard let kind = Kind(rawValue: arena[at]), kind != .reference else { return nil }
        at += 1
        let nameLength = Int(arena[at]) << 8 | Int(arena[at + 1])
        at += 2
        let name = String(decoding: arena[at..<(at + nameLength)], as: UTF8.self)
        at += nameLength
        let head: WebHead?
        switch kind {
        case .noWebHead, .reference:
            head = nil
        case .hostname:
            let length = Int(arena[at])
            head = .hostname(String(decoding: arena[(at + 1)..<(at + 1 + length)], as: UTF8.self))
        case .addresses:
            var list: [IPAddress] = []
            let count = Int(arena[at])
            list.reserveCapacity(count)
            at += 1
            for _ in 0..<count {
                let length = Int(arena[at])
                list.append(IPAddress(bytes: Array(arena[(at + 1)..<(at + 1 + length)]))!)
                at += 1 + length
            }
            head = .addresses(list)
        }
        return App(unchecked: id, name: name, webHead: head, healthCheck: healthChecks[UInt32(slot)])
    }

    /// Whether `slot` holds exactly `app`, compared as record bytes.
    func holds(_ app: App, at slot: Int) -> Bool {
        let record = Self.record(app)
        let row = slab[slot]
        guard healthChecks[UInt32(slot)] == app.healthCheck else { return false }
        return Int(row.length) == record.count && arena[row.offset..<(row.offset + record.count)].elementsEqual(record)
    }

    /// Whether the app in `slot` equals the app of the same id in `other`.
    /// Equal record bytes mean equal apps, so only records that differ are decoded and compared.
    func holdsSameApp(at slot: Int, as other: AppStore) -> Bool {
        guard let otherSlot = idBytes(slot, { other.slot(ofID: $0) }), other.isApp(otherSlot),
            healthChecks[UInt32(slot)] == other.healthChecks[UInt32(otherSlot)]
        else { return false }
        let row = slab[slot]
        let otherRow = other.slab[otherSlot]
        if row.length == otherRow.length,
            arena[row.offset..<(row.offset + Int(row.length))]
                .elementsEqual(other.arena[otherRow.offset..<(otherRow.offset + Int(row.length))])
        {
            return true
        }
        return app(at: slot) == other.app(at: otherSlot)
    }

    /// The pieces of the app record in `slot` as slices of the arena: id,
    /// name, kind and the web head bytes (a hostname without its length; an
    /// address list as count, then length and bytes of each). Nil for a bare reference.
    func parts(_ slot: Int) -> (id: ArraySlice<UInt8>, name: ArraySlice<UInt8>, kind: Kind, head: ArraySlice<UInt8>)? {
        let row = slab[slot]
        let idEnd = row.offset + 1 + Int(arena[row.offset])
        guard let kind = Kind(rawValue: arena[idEnd]), kind != .reference else { return nil }
        let nameStart = idEnd + 3
        let nameEnd = nameStart + (Int(arena[idEnd + 1]) << 8 | Int(arena[idEnd + 2]))
        let end = row.offset + Int(row.length)
        let head = kind == .hostname ? arena[(nameEnd + 1)..<end] : arena[nameEnd..<end]
        return (arena[(row.offset + 1)..<idEnd], arena[nameStart..<nameEnd], kind, head)
    }

    /// Slots of the apps sorted by id (byte order, which is `AppID` order for their ASCII ids).
    func appSlotsByID() -> [Int] {
        arena.withUnsafeBufferPointer { all in
            func id(_ slot: Int) -> UnsafeBufferPointer<UInt8> {
                let offset = slab[slot].offset
                return UnsafeBufferPointer(rebasing: all[(offset + 1)..<(offset + 1 + Int(all[offset]))])
            }
            return appSlots.sorted { id($0).lexicographicallyPrecedes(id($1)) }
        }
    }

    /// Slots of the apps, in slot order.
    var appSlots: some Sequence<Int> { slab.rows.indices.lazy.filter { isApp($0) } }

    // MARK: Changes

    /// Makes room for `count` apps (a load that knows how many) and, when
    /// given, `recordBytes` of records (an upper bound: pages never written
    /// are never resident).
    mutating func reserve(_ count: Int, recordBytes: Int = 0) {
        slab.reserve(count)
        arena.reserveCapacity(arena.count + recordBytes)
        let hashOf = hasher()
        index.reserve(count, hashOf: hashOf)
    }

    /// Stores `app` (new or replacing the one with its id); returns its slot.
    @discardableResult
    mutating func put(_ app: App) -> Int {
        let record = Self.record(app)
        if let slot = slot(of: app.id) {
            if !isApp(slot) { count += 1 }
            healthChecks[UInt32(slot)] = app.healthCheck
            let row = slab[slot]
            if Int(row.length) == record.count {
                arena.replaceSubrange(row.offset..<(row.offset + record.count), with: record)
            } else {
                free(at: row.offset, length: Int(row.length))
                slab[slot].offset = place(record)
                slab[slot].length = UInt32(record.count)
                compactIfWasteful()
            }
            return slot
        }
        count += 1
        let slot = insert(record)
        healthChecks[UInt32(slot)] = app.healthCheck
        return slot
    }

    /// Adds an app given as the parts ``parts(_:)`` returns, already valid
    /// and in normal form (a checkpoint load, without building an ``App``);
    /// false when its id is held already. `known` skips that check: the
    /// caller knows the id is new.
    mutating func add(id: ArraySlice<UInt8>, name: ArraySlice<UInt8>, kind: Kind, head: ArraySlice<UInt8>,
                      known: Bool = false) -> Bool {
        let taken = !known && id.withUnsafeBufferPointer { slot(ofID: $0) } != nil
        guard !taken else { return false }
        // Written straight to the end of the arena (a load leaves no holes to reuse), hashed from `id`.
        let offset = arena.count
        arena.append(UInt8(id.count))
        arena += id
        arena.append(kind.rawValue)
        arena.append(UInt8(name.count >> 8))
        arena.append(UInt8(name.count & 0xFF))
        arena += name
        if kind == .hostname { arena.append(UInt8(head.count)) }
        arena += head
        count += 1
        let added = slab.add(Row(offset: offset, length: UInt32(arena.count - offset), members: 0))
        let idHash = id.withUnsafeBufferPointer { Self.hash($0) }
        if !index.insertIfRoom(row: added, hash: idHash) {
            let hashOf = hasher()
            index.insert(row: added, hash: idHash, hashOf: hashOf)
        }
        return true
    }

    /// The slot of `id`, adding a bare reference if it is not held yet.
    mutating func reference(_ id: AppID) -> Int {
        if let slot = slot(of: id) { return slot }
        let utf8 = Array(id.rawValue.utf8)
        return insert([UInt8(utf8.count)] + utf8 + [Kind.reference.rawValue])
    }

    /// Removes the app in `slot`; a slot groups still reference stays as a bare reference.
    mutating func remove(_ slot: Int) {
        guard isApp(slot) else { return }
        count -= 1
        healthChecks[UInt32(slot)] = nil
        if slab[slot].members != 0 {
            let offset = slab[slot].offset
            let kindAt = offset + 1 + Int(arena[offset])
            free(at: kindAt + 1, length: Int(slab[slot].length) - (kindAt + 1 - offset))
            arena[kindAt] = Kind.reference.rawValue
            slab[slot].length = UInt32(kindAt + 1 - offset)
        } else {
            release(slot)
        }
    }

    /// Frees `slot` if it is a bare reference no group holds any more.
    mutating func dropIfUnreferenced(_ slot: Int) {
        if slab[slot].members == 0, slab[slot].length != 0, kind(slot) == .reference { release(slot) }
    }

    mutating func setMembers(_ slot: Int, _ edge: UInt32) { slab[slot].members = edge }

    /// Sets the health check of the app in `slot` (a checkpoint load, which reads checks after the apps).
    mutating func setHealthCheck(_ check: HealthCheck?, at slot: Int) { healthChecks[UInt32(slot)] = check }

    // MARK: Storage

    private mutating func insert(_ record: [UInt8]) -> Int {
        let slot = slab.add(Row(offset: place(record), length: UInt32(record.count), members: 0))
        let hashOf = hasher()
        index.insert(row: slot, hash: hashOf(slot), hashOf: hashOf)
        return slot
    }

    private mutating func release(_ slot: Int) {
        do {
            // The hasher's copies are gone before the rows change (else they would be copied whole).
            let hashOf = hasher()
            index.remove(row: slot, hash: hashOf(slot), hashOf: hashOf)
        }
        free(at: slab[slot].offset, length: Int(slab[slot].length))
        healthChecks[UInt32(slot)] = nil
        slab.release(slot, as: Row(offset: 0, length: 0, members: 0))
        compactIfWasteful()
    }

    /// Writes `record` into a freed place of its length, or at the end of the arena; returns its offset.
    private mutating func place(_ record: [UInt8]) -> Int {
        let length = UInt16(record.count)
        if let offset = holes[length]?.popLast() {
            if holes[length]!.isEmpty { holes[length] = nil }
            garbage -= record.count
            arena.withUnsafeMutableBufferPointer { all in
                record.withUnsafeBufferPointer { all.baseAddress!.advanced(by: offset).update(from: $0.baseAddress!, count: $0.count) }
            }
            return offset
        }
        arena += record
        return arena.count - record.count
    }

    /// Counts `length` bytes at `offset` as garbage and keeps the place for a record of that length.
    private mutating func free(at offset: Int, length: Int) {
        guard length > 0 else { return }
        garbage += length
        holes[UInt16(length), default: []].append(offset)
    }

    /// Rewrites the arena without garbage once garbage is over an eighth of
    /// it (so the arena stays within a seventh over its live bytes under any
    /// mix of changes; a quarter let memory swing by 16 MB at a million
    /// apps): O(live bytes), at most once per a seventh as many bytes
    /// written, so O(1) a change amortized. The new arena has room for the
    /// bytes the next pass allows, so appends until then do not reallocate it.
    private mutating func compactIfWasteful() {
        guard garbage > Self.compactionFloor, garbage * 8 > arena.count else { return }
        var packed: [UInt8] = []
        packed.reserveCapacity((arena.count - garbage) * 8 / 7 + Self.compactionFloor)
        for slot in slab.rows.indices where slab[slot].length != 0 {
            let row = slab[slot]
            slab[slot].offset = packed.count
            packed += arena[row.offset..<(row.offset + Int(row.length))]
        }
        arena = packed
        garbage = 0
        holes = [:]
    }

    private func kind(_ slot: Int) -> Kind? {
        let offset = slab[slot].offset
        return Kind(rawValue: arena[offset + 1 + Int(arena[offset])])
    }

    private func idBytes<T>(_ slot: Int, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        let offset = slab[slot].offset
        return arena.withUnsafeBufferPointer { all in
            body(UnsafeBufferPointer(rebasing: all[(offset + 1)..<(offset + 1 + Int(all[offset]))]))
        }
    }

    /// The hash of any slot's id, over a copy of the storage so the index can change meanwhile.
    private func hasher() -> (Int) -> Int {
        let rows = slab.rows
        let arena = arena
        return { slot in
            let offset = rows[slot].offset
            return arena.withUnsafeBufferPointer { all in
                Self.hash(UnsafeBufferPointer(rebasing: all[(offset + 1)..<(offset + 1 + Int(all[offset]))]))
            }
        }
    }

    private static func hash(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: UnsafeRawBufferPointer(key))
        return hasher.finalize()
    }

    /// The arena record of `app`; every length fits its field (ids 128
    /// bytes, names 200 scalars so at most 800 bytes, hostnames 253, 16 addresses).
    static func record(_ app: App) -> [UInt8] {
        var bytes: [UInt8] = []
        let id = app.id.rawValue.utf8
        let name = app.name.utf8
        bytes.reserveCapacity(id.count + name.count + 24)
        bytes.append(UInt8(id.count))
        bytes += id
        switch app.webHead {
        case nil: bytes.append(Kind.noWebHead.rawValue)
        case .hostname: bytes.append(Kind.hostname.rawValue)
        case .addresses: bytes.append(Kind.addresses.rawValue)
        }
        bytes.append(UInt8(name.count >> 8))
        bytes.append(UInt8(name.count & 0xFF))
        bytes += name
        switch app.webHead {
        case nil:
            break
        case .hostname(let host):
            bytes.append(UInt8(host.utf8.count))
            bytes += host.utf8
        case .addresses(let list):
            bytes.append(UInt8(list.count))
            for address in list {
                bytes.append(UInt8(address.bytes.count))
                bytes += address.bytes
            }
        }
        return bytes
    }

    /// Bytes held, for the memory breakdown.
    /// Arena bytes written and how many of them are garbage (for tests of the compaction bound).
    var arenaUsage: (bytes: Int, garbage: Int) { (arena.count, garbage) }

    var byteCount: Int {
        slab.byteCount + arena.capacity + index.byteCount
            + healthChecks.capacity * (4 + MemoryLayout<HealthCheck>.stride)
            + holes.values.reduce(0) { $0 + $1.capacity * MemoryLayout<Int>.stride }
    }
}
