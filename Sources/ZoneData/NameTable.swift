import DNSWire

/// An open-addressing hash table from lowercased wire names to indexes,
/// looked up with borrowed bytes so a query allocates nothing.
public struct NameTable: Sendable {
    private var slots: [Int32]
    private var keys: [[UInt8]]
    private let mask: Int

    /// Builds the table; `keys[i]` must be lowercased wire names, unique.
    public init(keys: [[UInt8]]) {
        // Load factor at most one half keeps probe sequences short.
        var capacity = 8
        while capacity < keys.count * 2 { capacity <<= 1 }
        mask = capacity - 1
        slots = [Int32](repeating: -1, count: capacity)
        self.keys = keys
        for (index, key) in keys.enumerated() {
            var slot = key.withUnsafeBytes { Self.hash($0) } & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }

    /// FNV-1a over the bytes.
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return Int(truncatingIfNeeded: hash ^ (hash >> 32))
    }

    /// Index of the name whose lowercased wire form equals `key`, or nil.
    @inline(__always)
    public func find(_ key: UnsafeRawBufferPointer) -> Int? {
        var slot = Self.hash(key) & mask
        while true {
            let index = Int(slots[slot])
            if index < 0 { return nil }
            let matches = keys[index].withUnsafeBytes { stored in
                stored.count == key.count && memcmpEqual(stored, key)
            }
            if matches { return index }
            slot = (slot + 1) & mask
        }
    }
}

@inline(__always)
func memcmpEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    if a.count == 0 { return true }
    var index = 0
    while index < a.count {
        if a[index] != b[index] { return false }
        index += 1
    }
    return true
}
