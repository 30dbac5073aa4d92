import DNSWire

/// The answer records for one web head, pre-rendered once per app: the bytes
/// after the owner name, ready to copy behind a `0xC00C` owner pointer, with
/// the TTL patched per query.
public struct WebHeadAnswer: Sendable, Equatable {
    /// Offset of the TTL inside a record rendered after its owner pointer:
    /// type (2) + class (2).
    public static let ttlOffset = 4

    /// CNAME record (type, class, TTL, RDLENGTH, target), or empty.
    public let cname: [UInt8]
    /// A records, each `C0 0C` + type, class, TTL, RDLENGTH, 4 bytes.
    public let addressRecords: [UInt8]
    public let addressCount: Int
    /// AAAA records, each `C0 0C` + type, class, TTL, RDLENGTH, 16 bytes.
    public let address6Records: [UInt8]
    public let address6Count: Int

    /// Owner pointer + type + class + TTL + RDLENGTH.
    static let recordOverhead = 2 + 2 + 2 + 4 + 2

    public static func hostname(_ target: DomainName) -> WebHeadAnswer {
        var bytes: [UInt8] = [0, 5, 0, 1, 0, 0, 0, 0]
        bytes += [UInt8(target.wire.count >> 8), UInt8(target.wire.count & 0xFF)]
        bytes += target.wire
        return WebHeadAnswer(cname: bytes, addressRecords: [], addressCount: 0, address6Records: [], address6Count: 0)
    }

    /// Addresses as 4- or 16-byte network-order values.
    public static func addresses(_ addresses: [[UInt8]]) -> WebHeadAnswer {
        var v4: [UInt8] = []
        var v6: [UInt8] = []
        var v4Count = 0
        var v6Count = 0
        for address in addresses {
            if address.count == 4 {
                v4 += [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4] + address
                v4Count += 1
            } else if address.count == 16 {
                v6 += [0xC0, 0x0C, 0, 28, 0, 1, 0, 0, 0, 0, 0, 16] + address
                v6Count += 1
            }
        }
        return WebHeadAnswer(cname: [], addressRecords: v4, addressCount: v4Count, address6Records: v6,
                             address6Count: v6Count)
    }

    private init(cname: [UInt8], addressRecords: [UInt8], addressCount: Int, address6Records: [UInt8],
                 address6Count: Int) {
        self.cname = cname
        self.addressRecords = addressRecords
        self.addressCount = addressCount
        self.address6Records = address6Records
        self.address6Count = address6Count
    }
}

/// Failover groups by address, for the query path: an open-addressing table
/// of 32-bit addresses with, per slot, the index of the active web head's
/// answer (-1: none, answered NODATA) and the due time of a pending switch
/// (0: none). About 32 bytes per group; answers are shared between groups
/// that follow the same app.
public final class GroupTable: Sendable {
    /// Marks an empty slot: addresses stop at 999,999,999.
    static let emptyKey = UInt32.max

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

    public let answers: [WebHeadAnswer]
    /// TTL of group answers, seconds.
    public let ttl: UInt32
    public let count: Int
    fileprivate let keys: [UInt32]
    fileprivate let answerIndexes: [Int32]
    fileprivate let dues: [Int64]
    private let mask: Int

    public init(ttl: UInt32, answers: [WebHeadAnswer], entries: [Entry]) {
        // Load factor at most one half keeps probes short.
        var capacity = 16
        while capacity < entries.count * 2 { capacity <<= 1 }
        var keys = [UInt32](repeating: Self.emptyKey, count: capacity)
        var answerIndexes = [Int32](repeating: -1, count: capacity)
        var dues = [Int64](repeating: 0, count: capacity)
        let mask = capacity - 1
        for entry in entries {
            var slot = Self.hash(entry.address) & mask
            while keys[slot] != Self.emptyKey && keys[slot] != entry.address { slot = (slot + 1) & mask }
            keys[slot] = entry.address
            answerIndexes[slot] = entry.answer
            dues[slot] = entry.due
        }
        self.ttl = ttl
        self.answers = answers
        self.count = entries.count
        self.keys = keys
        self.answerIndexes = answerIndexes
        self.dues = dues
        self.mask = mask
    }

    @inline(__always)
    static func hash(_ address: UInt32) -> Int {
        // Fibonacci hashing spreads the sequential-looking decimal values.
        Int(truncatingIfNeeded: (UInt64(address) &* 0x9E37_79B9_7F4A_7C15) >> 32)
    }

    /// The entry for an address, or nil.
    @inline(__always)
    public func find(_ address: UInt32) -> (answer: Int32, due: Int64)? {
        var slot = Self.hash(address) & mask
        while true {
            let key = keys[slot]
            if key == address { return (answerIndexes[slot], dues[slot]) }
            if key == Self.emptyKey { return nil }
            slot = (slot + 1) & mask
        }
    }

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
}

extension GroupTable {
    /// Calls `body` for every group (address, answer index, due), in table order.
    public func forEach(_ body: (UInt32, Int32, Int64) -> Void) {
        for slot in keys.indices where keys[slot] != Self.emptyKey {
            body(keys[slot], answerIndexes[slot], dues[slot])
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

extension WebHeadAnswer {
    /// The answer's records as (type, RDATA) pairs, for zone transfers.
    public var rdatas: [(type: RecordType, rdata: [UInt8])] {
        if !cname.isEmpty { return [(.cname, Array(cname[10...]))] }
        var result: [(RecordType, [UInt8])] = []
        for index in 0..<addressCount {
            let start = index * 16 + 12
            result.append((.a, Array(addressRecords[start..<(start + 4)])))
        }
        for index in 0..<address6Count {
            let start = index * 28 + 12
            result.append((.aaaa, Array(address6Records[start..<(start + 16)])))
        }
        return result
    }
}
