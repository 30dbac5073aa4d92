/// Offsets of names already written into a message, for name compression
/// (RFC 1035 4.1.4). Bounded: once full, later names are written whole, so the
/// cost per name stays small whatever the message holds. Storage is allocated
/// once and reused across messages.
public final class CompressionTable {
    /// Most offsets remembered. Knot keeps a similar small bound; past it the
    /// gain in size is small and the search cost grows.
    public static let defaultCapacity = 64

    @usableFromInline let storage: UnsafeMutablePointer<UInt16>
    public let capacity: Int
    public var count = 0

    public init(capacity: Int = CompressionTable.defaultCapacity) {
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
    }

    deinit { storage.deallocate() }

    @inline(__always) public func reset() { count = 0 }

    @inline(__always) func add(_ offset: Int) {
        // A pointer holds 14 bits of offset.
        guard count < capacity, offset < 0x3FFF else { return }
        storage[count] = UInt16(offset)
        count += 1
    }
}
