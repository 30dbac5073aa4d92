/// The binary journal payload (format 2): `0x02`, the u64 sequence number,
/// then the mutation as a tag byte and its fields, in ``CheckpointBinary``'s
/// encoding. Format 1 payloads are JSON objects (they start with `{`) and
/// are still read. Tags 9 to 12 came with health checks: a mutation without
/// a health check or policy is written with its old tag.
///
/// Records written in a batch (one write, one fsync) start with `0x03`
/// instead and carry, after the sequence number, the record's u32 position
/// in its batch and the batch's u32 record count, so a reader knows where the
/// last batch begins (see ``JournalScan``). `0x02` records are still read.
enum MutationBinary {
    static let marker: UInt8 = 0x02
    static let batchMarker: UInt8 = 0x03

    /// Whether `byte` starts a binary payload of either kind.
    static func isMarker(_ byte: UInt8) -> Bool { byte == marker || byte == batchMarker }
    static func encode(seq: UInt64, _ mutation: Mutation, batch: JournalRecord.Batch? = nil) -> [UInt8] {
        var out = CheckpointBinary.Writer()
        out.bytes.reserveCapacity(104)
        if let batch {
            out.u8(batchMarker)
            out.u64(seq)
            out.u32(UInt32(seq - batch.first))
            out.u32(UInt32(batch.last - batch.first + 1))
        } else {
            out.u8(marker)
            out.u64(seq)
        }
        switch mutation {
        case .appPut(let app):
            out.u8(app.healthCheck == nil ? 1 : 9)
            out.app(app)
            if let check = app.healthCheck { out.healthCheck(check) }
        case .appRemove(let id):
            out.u8(2)
            out.string(id.rawValue)
        case .groupCreate(let address, let primary, let backup, let now, let policy):
            out.u8(policy == nil ? 3 : 10)
            out.u32(address.value)
            out.optionalString(primary?.rawValue)
            out.optionalString(backup?.rawValue)
            out.u64(UInt64(bitPattern: now))
            if let policy { out.groupPolicy(policy) }
        case .groupUpdate(let address, let primary, let backup, let ifVersion, let now, let policy):
            out.u8(policy == nil ? 4 : 11)
            out.u32(address.value)
            field(primary, into: &out)
            field(backup, into: &out)
            if let ifVersion {
                out.u8(1)
                out.u64(ifVersion)
            } else {
                out.u8(0)
            }
            out.u64(UInt64(bitPattern: now))
            if let policy { out.groupPolicy(policy) }
        case .groupSwitch(let address, let to, let due, let requestedAt, let requestedBy):
            out.u8(5)
            out.u32(address.value)
            out.u8(to == .primary ? 0 : 1)
            out.u64(UInt64(bitPattern: due))
            out.u64(UInt64(bitPattern: requestedAt))
            out.optionalString(requestedBy)
        case .groupCancel(let address, let now):
            out.u8(6)
            out.u32(address.value)
            out.u64(UInt64(bitPattern: now))
        case .groupDelete(let address):
            out.u8(7)
            out.u32(address.value)
        case .switchApply(let address, let expectedDue, let now):
            out.u8(8)
            out.u32(address.value)
            out.u64(UInt64(bitPattern: expectedDue))
            out.u64(UInt64(bitPattern: now))
        case .healthSwitch(let address, let to, let expectedVersion, let now):
            out.u8(12)
            out.u32(address.value)
            out.u8(to == .primary ? 0 : 1)
            out.u64(expectedVersion)
            out.u64(UInt64(bitPattern: now))
        }
        return out.bytes
    }

    private static func field(_ change: FieldChange<AppID>, into out: inout CheckpointBinary.Writer) {
        switch change {
        case .keep: out.u8(0)
        case .clear: out.u8(1)
        case .set(let id):
            out.u8(2)
            out.string(id.rawValue)
        }
    }

    static func decode(_ payload: ArraySlice<UInt8>) throws(CheckpointBinary.Damage) -> JournalRecord {
        var input = CheckpointBinary.Reader(Array(payload), end: payload.count)
        let kind = try input.u8()
        guard isMarker(kind) else { throw .init(offset: 0, reason: "not a binary journal record") }
        let seq = try input.u64()
        var batch: JournalRecord.Batch? = nil
        if kind == batchMarker {
            let position = UInt64(try input.u32())
            let count = UInt64(try input.u32())
            guard count > 0, position < count, position <= seq, UInt64.max - (seq - position) >= count - 1 else {
                throw .init(offset: 9, reason: "batch position \(position) of \(count) at sequence \(seq)")
            }
            batch = JournalRecord.Batch(first: seq - position, last: seq - position + count - 1)
        }
        let mutation: Mutation
        switch try input.u8() {
        case let tag where tag == 1 || tag == 9:
            let app = try input.app()
            mutation = .appPut(tag == 9 ? app.with(healthCheck: try input.healthCheck()) : app)
        case 2:
            mutation = .appRemove(try appID(&input))
        case let tag where tag == 3 || tag == 10:
            let address = try groupAddress(&input)
            let primary = try optionalAppID(&input)
            let backup = try optionalAppID(&input)
            let now = try int64(&input)
            mutation = .groupCreate(address: address, primary: primary, backup: backup, now: now,
                                    policy: tag == 10 ? try input.groupPolicy() : nil)
        case let tag where tag == 4 || tag == 11:
            let address = try groupAddress(&input)
            let primary = try field(&input)
            let backup = try field(&input)
            let ifVersion: UInt64?
            switch try input.u8() {
            case 0: ifVersion = nil
            case 1: ifVersion = try input.u64()
            case let marker: throw .init(offset: input.offset - 1, reason: "if_version marker \(marker)")
            }
            let now = try int64(&input)
            mutation = .groupUpdate(address: address, primary: primary, backup: backup, ifVersion: ifVersion,
                                    now: now, policy: tag == 11 ? try input.groupPolicy() : nil)
        case 5:
            let address = try groupAddress(&input)
            let to = try role(&input)
            let due = try int64(&input)
            let requestedAt = try int64(&input)
            mutation = .groupSwitch(address: address, to: to, due: due, requestedAt: requestedAt,
                                    requestedBy: try input.optionalString())
        case 6:
            let address = try groupAddress(&input)
            mutation = .groupCancel(address: address, now: try int64(&input))
        case 7:
            mutation = .groupDelete(address: try groupAddress(&input))
        case 8:
            let address = try groupAddress(&input)
            let expectedDue = try int64(&input)
            mutation = .switchApply(address: address, expectedDue: expectedDue, now: try int64(&input))
        case 12:
            let address = try groupAddress(&input)
            let to = try role(&input)
            let expectedVersion = try input.u64()
            mutation = .healthSwitch(address: address, to: to, expectedVersion: expectedVersion, now: try int64(&input))
        case let tag:
            throw .init(offset: input.offset - 1, reason: "unknown mutation tag \(tag)")
        }
        guard input.offset == payload.count else {
            throw .init(offset: input.offset, reason: "\(payload.count - input.offset) bytes after the mutation")
        }
        return JournalRecord(seq: seq, mutation: mutation, batch: batch)
    }

    private static func role(_ input: inout CheckpointBinary.Reader) throws(CheckpointBinary.Damage) -> Role {
        switch try input.u8() {
        case 0: return .primary
        case 1: return .backup
        case let value: throw .init(offset: input.offset - 1, reason: "role \(value)")
        }
    }

    private static func int64(_ input: inout CheckpointBinary.Reader) throws(CheckpointBinary.Damage) -> Int64 {
        Int64(bitPattern: try input.u64())
    }

    private static func groupAddress(_ input: inout CheckpointBinary.Reader) throws(CheckpointBinary.Damage)
        -> GroupAddress
    {
        guard let address = GroupAddress(value: try input.u32()) else {
            throw .init(offset: input.offset - 4, reason: "group address out of range")
        }
        return address
    }

    private static func appID(_ input: inout CheckpointBinary.Reader) throws(CheckpointBinary.Damage) -> AppID {
        let start = input.offset
        let text = try input.string()
        return try input.validated(at: start) { () throws(FailoverError) in try AppID(text) }
    }

    private static func optionalAppID(_ input: inout CheckpointBinary.Reader) throws(CheckpointBinary.Damage) -> AppID? {
        let start = input.offset
        guard let text = try input.optionalString() else { return nil }
        return try input.validated(at: start) { () throws(FailoverError) in try AppID(text) }
    }

    private static func field(_ input: inout CheckpointBinary.Reader) throws(CheckpointBinary.Damage)
        -> FieldChange<AppID>
    {
        switch try input.u8() {
        case 0: return .keep
        case 1: return .clear
        case 2: return .set(try appID(&input))
        case let value: throw .init(offset: input.offset - 1, reason: "field change \(value)")
        }
    }
}
