import DNSWire
/// The binary layout of the `checkpoint` file (format 3; format 2 is still
/// read: it is format 3 without the two trailing sections), compact and quick to
/// load at a million groups. All integers big-endian; strings are a 2-byte
/// length then UTF-8. The magic is the one the file had when it was called
/// `snapshot` (up to 0.3), so a checkpoint renamed back reads in those versions.
///
///     "FOVSNAP\n"  magic (8)        u32 format (2)
///     u64 journal sequence          u32 serial
///     u32 apps,   per app:   str id, str name, u8 web head kind (0 none,
///                            1 hostname: str, 2 addresses: u8 n, n x (u8 4|16, bytes))
///     u32 groups, per group: u32 address, u32 primary, u32 backup (app
///                            number + 1, 0 none), u8 active (0 primary,
///                            1 backup), u64 version, i64 created, i64 updated,
///                            u8 pending (0 none, 1 + role), then if pending:
///                            i64 due, i64 requested at, u8 has note, str note
///     u32 tombstones, u32 each
///     u32 health checks, per check: u32 app number, the check (``Writer/healthCheck(_:)``)
///     u32 group policies (those not the default), per policy: u32 address, the policy
///     u32 CRC-32C of every byte before it
///
/// The reader trusts no count: every read is bounds-checked and each value
/// goes through the same validation as a control request.
enum CheckpointBinary {
    static let magic: [UInt8] = Array("FOVSNAP\n".utf8)
    static let format: UInt32 = 3
    /// The oldest format this build reads.
    static let oldestFormat: UInt32 = 2

    static func encode(journalSeq: UInt64, model: FailoverModel) -> [UInt8] {
        var out = Writer()
        out.bytes.reserveCapacity(64 + model.apps.count * 64 + model.groups.count * 48)
        out.bytes += magic
        out.u32(format)
        out.u64(journalSeq)
        out.u32(model.serial)
        // Written straight from the packed stores: no App or Group values at a million of each.
        let apps = model.appStore
        let slots = apps.appSlotsByID()
        var number = [UInt32](repeating: 0, count: apps.rows.count)
        out.u32(UInt32(slots.count))
        for (index, slot) in slots.enumerated() {
            number[slot] = UInt32(index + 1)
            out.app(apps.parts(slot)!)
        }
        let groups = model.groupStore
        let rows = groups.liveRows.sorted { groups.rows[$0].address < groups.rows[$1].address }
        out.u32(UInt32(rows.count))
        for row in rows {
            let group = groups.rows[row]
            out.u32(group.address)
            out.u32(group.primary == 0 ? 0 : number[Int(group.primary) - 1])
            out.u32(group.backup == 0 ? 0 : number[Int(group.backup) - 1])
            out.u8(group.active == .primary ? 0 : 1)
            out.u64(groups.version(of: row))
            let times = groups.times(of: row)
            out.u64(UInt64(bitPattern: times.created))
            out.u64(UInt64(bitPattern: times.updated))
            if let pending = groups.pending(of: row) {
                out.u8(pending.to == .primary ? 1 : 2)
                out.u64(UInt64(bitPattern: pending.due))
                out.u64(UInt64(bitPattern: pending.requestedAt))
                if let note = pending.requestedBy {
                    out.u8(1)
                    out.string(note)
                } else {
                    out.u8(0)
                }
            } else {
                out.u8(0)
            }
        }
        let tombstones = model.tombstones.sorted()
        out.u32(UInt32(tombstones.count))
        for address in tombstones { out.u32(address.value) }
        let checks = apps.healthChecks.sorted { number[Int($0.key)] < number[Int($1.key)] }
        out.u32(UInt32(checks.count))
        for (slot, check) in checks {
            out.u32(number[Int(slot)])
            out.healthCheck(check)
        }
        let policies = groups.policies.map { (groups.rows[Int($0.key)].address, $0.value) }.sorted { $0.0 < $1.0 }
        out.u32(UInt32(policies.count))
        for (address, policy) in policies {
            out.u32(address)
            out.groupPolicy(policy)
        }
        out.u32(CRC32C.checksum(out.bytes))
        return out.bytes
    }

    /// True when `bytes` start like a binary checkpoint (not a format 1 JSON one).
    static func matches(_ bytes: [UInt8]) -> Bool {
        bytes.count >= magic.count && Array(bytes[0..<magic.count]) == magic
    }

    /// A reason and the byte offset where the file stops making sense.
    struct Damage: Error {
        var offset: Int
        var reason: String
    }

    /// Checks length, checksum and format; returns a reader positioned after
    /// the header (ending before the checksum) and the header's fields.
    private static func openBody(_ bytes: [UInt8]) throws(Damage)
        -> (input: Reader, journalSeq: UInt64, serial: UInt32, format: UInt32)
    {
        guard bytes.count >= magic.count + 4 + 8 + 4 + 4 * 3 + 4 else {
            throw Damage(offset: 0, reason: "file is \(bytes.count) bytes, too short for a checkpoint")
        }
        let bodyEnd = bytes.count - 4
        var checksumReader = Reader(bytes, end: bytes.count)
        checksumReader.offset = bodyEnd
        let stored = try checksumReader.u32()
        guard CRC32C.checksum(bytes[0..<bodyEnd]) == stored else {
            throw Damage(offset: bodyEnd, reason: "checksum mismatch (the file is damaged or was cut short)")
        }
        var input = Reader(bytes, end: bodyEnd)
        input.offset = magic.count
        let format = try input.u32()
        guard format >= oldestFormat, format <= Self.format else {
            throw Damage(offset: magic.count,
                         reason: "format \(format); this failoverd reads formats \(oldestFormat) to \(Self.format)")
        }
        let journalSeq = try input.u64()
        let serial = try input.u32()
        return (input, journalSeq, serial, format)
    }

    static func decode(_ bytes: [UInt8]) throws(Damage) -> (journalSeq: UInt64, model: FailoverModel) {
        var (input, journalSeq, serial, format) = try openBody(bytes)
        let bodyEnd = input.end

        // Each app needs at least 2 + 2 + 1 bytes, each group 38: a count
        // larger than the bytes left could hold is damage, not a reason to allocate.
        // Read straight into the packed stores, so the n-th app takes slot n - 1
        // and a group's app numbers are its app slots + 1.
        let duplicate = Damage(offset: 0, reason: "an app, group or tombstone appears twice")
        var model = FailoverModel(serial: serial)
        let appCount = try input.count(minimumSize: 5)
        // An app's record is no longer than its bytes here.
        model.appStore.reserve(appCount, recordBytes: input.end - input.offset)
        // Written in id order and groups in address order: an id or address
        // past the largest so far cannot be a duplicate, so the check costs
        // no lookup (an index probe each, the larger part of a load at a million).
        var largestID: ArraySlice<UInt8>? = nil
        /// Whether `id` is past every id so far (then it becomes the largest).
        func isLargest(_ id: ArraySlice<UInt8>) -> Bool {
            if let largest = largestID, !largest.lexicographicallyPrecedes(id) { return false }
            largestID = id
            return true
        }
        for index in 0..<appCount {
            if let parts = try input.normalApp() {
                guard model.appStore.add(id: parts.id, name: parts.name, kind: parts.kind, head: parts.head,
                                         known: isLargest(parts.id))
                else { throw duplicate }
            } else {
                let app = try input.app()
                _ = isLargest(Array(app.id.rawValue.utf8)[...])
                model.putApp(app)
            }
            guard model.apps.count == index + 1 else { throw duplicate }
        }

        let groupCount = try input.count(minimumSize: 38)
        model.groupStore.reserve(groupCount)
        func app(_ number: UInt32, at offset: Int) throws(Damage) -> UInt32 {
            guard Int(number) <= appCount else {
                throw Damage(offset: offset, reason: "app number \(number) of \(appCount)")
            }
            return number
        }
        /// The largest address so far.
        var previousAddress: UInt32? = nil
        for _ in 0..<groupCount {
            let start = input.offset
            guard let address = GroupAddress(value: try input.u32()) else {
                throw Damage(offset: start, reason: "group address out of range")
            }
            let ascending = previousAddress.map { $0 < address.value } ?? true
            if ascending { previousAddress = address.value }
            let primary = try app(try input.u32(), at: start + 4)
            let backup = try app(try input.u32(), at: start + 8)
            let active: Role
            switch try input.u8() {
            case 0: active = .primary
            case 1: active = .backup
            case let value: throw Damage(offset: input.offset - 1, reason: "active role \(value)")
            }
            let version = try input.u64()
            let created = Int64(bitPattern: try input.u64())
            let updated = Int64(bitPattern: try input.u64())
            var pending: PendingSwitch? = nil
            switch try input.u8() {
            case 0:
                break
            case let role where role <= 2:
                let due = Int64(bitPattern: try input.u64())
                let requestedAt = Int64(bitPattern: try input.u64())
                var note: String? = nil
                if try input.u8() != 0 {
                    let text = try input.string()
                    try input.validated(at: start) { () throws(FailoverError) in try FailoverModel.validateRequestedBy(text) }
                    note = text
                }
                pending = PendingSwitch(to: role == 1 ? .primary : .backup, due: due, requestedAt: requestedAt,
                                        requestedBy: note)
            case let value:
                throw Damage(offset: input.offset - 1, reason: "pending switch marker \(value)")
            }
            let group = Group(address: address, primary: nil, backup: nil, active: active, pending: pending,
                              version: version, created: created, updated: updated)
            guard model.addGroup(group, primary: primary, backup: backup, known: ascending) else { throw duplicate }
        }

        let tombstoneCount = try input.count(minimumSize: 4)
        for _ in 0..<tombstoneCount {
            guard let address = GroupAddress(value: try input.u32()) else {
                throw Damage(offset: input.offset - 4, reason: "tombstone address out of range")
            }
            guard !model.tombstones.contains(address) else { throw duplicate }
            model.addTombstone(address)
        }
        if format >= 3 {
            // Each check needs at least 4 + 21 bytes (a tcp check), each policy 4 + 10.
            let checkCount = try input.count(minimumSize: 25)
            for _ in 0..<checkCount {
                let start = input.offset
                let number = try input.u32()
                guard number >= 1, Int(number) <= appCount else {
                    throw Damage(offset: start, reason: "health check of app number \(number) of \(appCount)")
                }
                model.appStore.setHealthCheck(try input.healthCheck(), at: Int(number) - 1)
            }
            let policyCount = try input.count(minimumSize: 14)
            for _ in 0..<policyCount {
                let start = input.offset
                guard let address = GroupAddress(value: try input.u32()), let row = model.groupStore.row(of: address)
                else { throw Damage(offset: start, reason: "a policy for a group that is not in the checkpoint") }
                model.groupStore.setPolicy(row, try input.groupPolicy())
            }
        }
        guard input.offset == bodyEnd else {
            throw Damage(offset: input.offset, reason: "\(bodyEnd - input.offset) unexpected bytes before the checksum")
        }
        return (journalSeq, model)
    }

    /// Reads only what DNS serves (each app's web head in app order, each
    /// group's address, active app number and due time) without building the
    /// model: the fast start on a large state. Checks the checksum and the
    /// structure; values were validated when the file was written.
    static func scanServed(
        _ bytes: [UInt8], app: (Int32, ServedHead) -> Void, group: (UInt32, Int32, Int64) -> Void
    ) throws(Damage) -> (journalSeq: UInt64, serial: UInt32) {
        guard matches(bytes) else { throw Damage(offset: 0, reason: "not a binary checkpoint") }
        var (input, journalSeq, serial, _) = try openBody(bytes)
        let bodyEnd = input.end
        let appCount = try input.count(minimumSize: 5)
        for index in 0..<appCount {
            try input.skipString()
            try input.skipString()
            switch try input.u8() {
            case 0:
                app(Int32(index), .none)
            case 1:
                app(Int32(index), .hostname(try input.stringBytes()))
            case 2:
                let start = input.offset
                let count = Int(try input.u8())
                for _ in 0..<count { _ = try input.take(Int(try input.u8())) }
                app(Int32(index), .addresses(bytes[start..<input.offset]))
            case let kind:
                throw Damage(offset: input.offset - 1, reason: "unknown web head kind \(kind)")
            }
        }
        let groupCount = try input.count(minimumSize: 38)
        for _ in 0..<groupCount {
            let address = try input.u32()
            let primary = Int32(truncatingIfNeeded: try input.u32()) - 1
            let backup = Int32(truncatingIfNeeded: try input.u32()) - 1
            let active = try input.u8() == 0 ? primary : backup
            guard active < Int32(appCount), address <= GroupAddress.maxValue else {
                throw Damage(offset: input.offset, reason: "a group refers to a missing app")
            }
            input.offset += 24
            var due: Int64 = 0
            if try input.u8() != 0 {
                due = Int64(bitPattern: try input.u64())
                input.offset += 8
                if try input.u8() != 0 { try input.skipString() }
            }
            guard input.offset <= bodyEnd else { throw Damage(offset: bodyEnd, reason: "ends early") }
            group(address, active, due)
        }
        return (journalSeq, serial)
    }

    struct Writer {
        var bytes: [UInt8] = []

        mutating func u8(_ value: UInt8) { bytes.append(value) }

        mutating func u32(_ value: UInt32) {
            withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
        }

        mutating func u64(_ value: UInt64) {
            withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
        }

        mutating func app(_ app: App) {
            string(app.id.rawValue)
            string(app.name)
            switch app.webHead {
            case nil:
                u8(0)
            case .hostname(let name):
                u8(1)
                string(name)
            case .addresses(let list):
                u8(2)
                u8(UInt8(list.count))
                for address in list {
                    u8(UInt8(address.bytes.count))
                    bytes += address.bytes
                }
            }
        }

        /// An app from its packed record, byte for byte what ``app(_:)-(App)`` writes (see ``AppStore/parts(_:)``).
        mutating func app(_ parts: (id: ArraySlice<UInt8>, name: ArraySlice<UInt8>, kind: AppStore.Kind,
                                    head: ArraySlice<UInt8>)) {
            string(parts.id)
            string(parts.name)
            u8(parts.kind.rawValue)
            switch parts.kind {
            case .hostname: string(parts.head)
            case .addresses: bytes += parts.head
            case .noWebHead, .reference: break
            }
        }

        /// u8 kind (0 http, 1 https, 2 tcp), u16 port, str path, u8 has host + str host, u16 expect low and
        /// high, u32 interval, u32 timeout, u8 fall, u8 rise, u8 insecure.
        mutating func healthCheck(_ check: HealthCheck) {
            u8(check.kind == .http ? 0 : check.kind == .https ? 1 : 2)
            u16(check.port)
            string(check.path)
            optionalString(check.host)
            u16(check.expect.lowerBound)
            u16(check.expect.upperBound)
            u32(check.interval)
            u32(check.timeout)
            u8(check.fall)
            u8(check.rise)
            u8(check.insecure ? 1 : 0)
        }

        /// u8 auto failover, u8 failback (0 manual, 1 auto), u32 failback after, u32 min switch interval.
        mutating func groupPolicy(_ policy: GroupPolicy) {
            u8(policy.autoFailover ? 1 : 0)
            u8(policy.failback == .manual ? 0 : 1)
            u32(policy.failbackAfter)
            u32(policy.minSwitchInterval)
        }

        mutating func u16(_ value: UInt16) {
            u8(UInt8(value >> 8))
            u8(UInt8(value & 0xFF))
        }

        mutating func optionalString(_ text: String?) {
            if let text {
                u8(1)
                string(text)
            } else {
                u8(0)
            }
        }

        /// Every string in the model is well under 64 KiB (ids 128, names 200 characters, hostnames 253).
        mutating func string(_ text: String) { string(Array(text.utf8)[...]) }

        mutating func string(_ utf8: ArraySlice<UInt8>) {
            bytes.append(UInt8(utf8.count >> 8))
            bytes.append(UInt8(utf8.count & 0xFF))
            bytes += utf8
        }
    }

    struct Reader {
        let bytes: [UInt8]
        let end: Int
        var offset = 0

        init(_ bytes: [UInt8], end: Int) {
            self.bytes = bytes
            self.end = end
        }

        mutating func take(_ count: Int) throws(Damage) -> [UInt8] {
            guard count <= end - offset else {
                throw Damage(offset: offset, reason: "needs \(count) more bytes, \(end - offset) left")
            }
            defer { offset += count }
            return Array(bytes[offset..<(offset + count)])
        }

        mutating func u8() throws(Damage) -> UInt8 {
            guard offset < end else { throw Damage(offset: offset, reason: "ends early") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func u32() throws(Damage) -> UInt32 {
            guard end - offset >= 4 else { throw Damage(offset: offset, reason: "ends early") }
            var value: UInt32 = 0
            for index in offset..<(offset + 4) { value = value << 8 | UInt32(bytes[index]) }
            offset += 4
            return value
        }

        mutating func u64() throws(Damage) -> UInt64 {
            guard end - offset >= 8 else { throw Damage(offset: offset, reason: "ends early") }
            var value: UInt64 = 0
            for index in offset..<(offset + 8) { value = value << 8 | UInt64(bytes[index]) }
            offset += 8
            return value
        }

        mutating func string() throws(Damage) -> String {
            let start = offset
            guard end - offset >= 2 else { throw Damage(offset: offset, reason: "ends early") }
            let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            offset += 2
            guard length <= end - offset else { throw Damage(offset: start, reason: "a string runs past the end") }
            defer { offset += length }
            guard let text = String(validating: bytes[offset..<(offset + length)], as: UTF8.self) else {
                throw Damage(offset: start, reason: "a string is not valid UTF-8")
            }
            return text
        }

        mutating func stringBytes() throws(Damage) -> ArraySlice<UInt8> {
            guard end - offset >= 2 else { throw Damage(offset: offset, reason: "ends early") }
            let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            guard length <= end - offset - 2 else { throw Damage(offset: offset, reason: "a string runs past the end") }
            offset += 2 + length
            return bytes[(offset - length)..<offset]
        }

        mutating func skipString() throws(Damage) { _ = try stringBytes() }

        /// The parts of an app already in the form ``app()`` would store it
        /// (an id and a printable ASCII name within their limits, a hostname
        /// in normal form, 1 to 16 addresses in order without duplicates),
        /// read without building an ``App``: the common case, and the quick
        /// one at a million apps. Nil, with nothing read, for anything else,
        /// which ``app()`` then reads, validates or refuses.
        mutating func normalApp() throws(Damage) -> (id: ArraySlice<UInt8>, name: ArraySlice<UInt8>, kind: AppStore.Kind,
                                                    head: ArraySlice<UInt8>)? {
            let start = offset
            let id = try stringBytes()
            let name = try stringBytes()
            guard (1...AppID.maxLength).contains(id.count), id.allSatisfy(AppID.isAllowed),
                (1...App.maxNameLength).contains(name.count), name.allSatisfy({ $0 >= 0x20 && $0 < 0x7F })
            else { offset = start; return nil }
            switch try u8() {
            case 0:
                return (id, name, .noWebHead, bytes[offset..<offset])
            case 1:
                let host = try stringBytes()
                guard WebHead.isNormalHostname(host) else {
                    offset = start
                    return nil
                }
                return (id, name, .hostname, host)
            case 2:
                let headStart = offset
                let count = Int(try u8())
                guard (1...WebHead.maxAddresses).contains(count) else { offset = start; return nil }
                var previous: ArraySlice<UInt8> = []
                for _ in 0..<count {
                    let length = Int(try u8())
                    guard length == 4 || length == 16, length <= end - offset else { offset = start; return nil }
                    let address = bytes[offset..<(offset + length)]
                    offset += length
                    // Ordered as IPAddress orders: IPv4 first, then by bytes; strictly, so no duplicates.
                    guard previous.isEmpty || previous.count < length
                        || (previous.count == length && previous.lexicographicallyPrecedes(address))
                    else { offset = start; return nil }
                    previous = address
                }
                return (id, name, .addresses, bytes[headStart..<offset])
            default:
                offset = start
                return nil
            }
        }

        /// An app, validated like one from a control request.
        mutating func app() throws(Damage) -> App {
            let start = offset
            let id = try string()
            let name = try string()
            let head: WebHead?
            switch try u8() {
            case 0:
                head = nil
            case 1:
                let host = try string()
                head = try validated(at: start) { () throws(FailoverError) in try WebHead.hostname(validating: host) }
                guard case .hostname(host) = head else {
                    throw Damage(offset: start, reason: "web head \(quoted(host)) is not in normal form")
                }
            case 2:
                let count = Int(try u8())
                var list: [IPAddress] = []
                for _ in 0..<count {
                    let length = Int(try u8())
                    guard let address = IPAddress(bytes: try take(length)) else {
                        throw Damage(offset: offset - length - 1, reason: "an address of \(length) bytes")
                    }
                    list.append(address)
                }
                let texts = list.map(\.description)
                head = try validated(at: start) { () throws(FailoverError) in try WebHead.addresses(validating: texts) }
            case let kind:
                throw Damage(offset: offset - 1, reason: "unknown web head kind \(kind)")
            }
            return try validated(at: start) { () throws(FailoverError) in
                try App(id: try AppID(id), name: name, webHead: head)
            }
        }

        mutating func u16() throws(Damage) -> UInt16 {
            UInt16(try u8()) << 8 | UInt16(try u8())
        }

        mutating func flag() throws(Damage) -> Bool {
            switch try u8() {
            case 0: return false
            case 1: return true
            case let value: throw Damage(offset: offset - 1, reason: "flag \(value)")
            }
        }

        /// A health check, validated like one from a control request.
        mutating func healthCheck() throws(Damage) -> HealthCheck {
            let start = offset
            let kind: HealthCheck.Kind
            switch try u8() {
            case 0: kind = .http
            case 1: kind = .https
            case 2: kind = .tcp
            case let value: throw Damage(offset: offset - 1, reason: "health check type \(value)")
            }
            let port = try u16()
            let path = try string()
            let host = try optionalString()
            let low = try u16()
            let high = try u16()
            let interval = try u32()
            let timeout = try u32()
            let fall = try u8()
            let rise = try u8()
            let insecure = try flag()
            guard low <= high else { throw Damage(offset: start, reason: "health check expect range runs backwards") }
            return try validated(at: start) { () throws(FailoverError) in
                try HealthCheck(kind: kind, port: port, path: kind == .tcp ? nil : path, host: host, expect: low...high,
                                interval: interval, timeout: timeout, fall: fall, rise: rise, insecure: insecure)
            }
        }

        /// A group policy, validated like one from a control request.
        mutating func groupPolicy() throws(Damage) -> GroupPolicy {
            let start = offset
            let auto = try flag()
            let failback: GroupPolicy.Failback = try flag() ? .auto : .manual
            let after = try u32()
            let interval = try u32()
            return try validated(at: start) { () throws(FailoverError) in
                try GroupPolicy(autoFailover: auto, failback: failback, failbackAfter: after, minSwitchInterval: interval)
            }
        }

        mutating func optionalString() throws(Damage) -> String? {
            switch try u8() {
            case 0: return nil
            case 1: return try string()
            case let marker: throw Damage(offset: offset - 1, reason: "optional string marker \(marker)")
            }
        }

        /// A count read from the file, refused when the bytes left could not hold that many entries.
        mutating func count(minimumSize: Int) throws(Damage) -> Int {
            let start = offset
            let count = Int(try u32())
            guard count <= (end - offset) / minimumSize else {
                throw Damage(offset: start, reason: "count \(count) is more than the \(end - offset) bytes left can hold")
            }
            return count
        }

        func validated<T>(at offset: Int, _ body: () throws(FailoverError) -> T) throws(Damage) -> T {
            do {
                return try body()
            } catch {
                throw Damage(offset: offset, reason: error.message)
            }
        }
    }
}
