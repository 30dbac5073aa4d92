/// A cursor over untrusted message bytes. Every read checks the bytes left and
/// returns nil when they are missing; no count from the wire is trusted.
public struct WireReader {
    /// Most compression pointers followed in one name. A name has at most 127
    /// labels, so a longer chain must be a loop.
    public static let maxPointerHops = 127

    public let bytes: UnsafeRawBufferPointer
    public var offset: Int

    public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }

    public mutating func readUInt8() -> UInt8? {
        guard offset < bytes.count else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func readUInt16() -> UInt16? {
        guard remaining >= 2 else { return nil }
        defer { offset += 2 }
        return bytes.loadBigEndianUInt16(at: offset)
    }

    public mutating func readUInt32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        defer { offset += 4 }
        return bytes.loadBigEndianUInt32(at: offset)
    }

    /// Returns the next `count` bytes as a slice of the message, or nil.
    public mutating func readSlice(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, remaining >= count else { return nil }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    public mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, remaining >= count else { return false }
        offset += count
        return true
    }

    /// Reads a name that may use compression pointers, copying its
    /// uncompressed wire form into `output` (at least 255 bytes). Pointers must
    /// point strictly backwards and the chain is bounded. Returns the length of
    /// the uncompressed name, or nil for a malformed one. The cursor ends after
    /// the name's bytes in the message (after the first pointer, if any).
    public mutating func readName(into output: UnsafeMutableRawBufferPointer) -> Int? {
        var position = offset
        var written = 0
        var hops = 0
        var endOfName: Int? = nil
        // Pointers must go below the lowest offset visited so far: loops are impossible.
        var floor = offset
        while true {
            guard position < bytes.count else { return nil }
            let length = bytes[position]
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    guard written + 1 <= DomainName.maxWireLength, written < output.count else { return nil }
                    output[written] = 0
                    written += 1
                    offset = endOfName ?? (position + 1)
                    return written
                }
                let labelEnd = position + 1 + Int(length)
                guard labelEnd <= bytes.count else { return nil }
                guard written + 1 + Int(length) + 1 <= DomainName.maxWireLength,
                    written + 1 + Int(length) < output.count
                else { return nil }
                output[written] = length
                for index in 0..<Int(length) {
                    output[written + 1 + index] = bytes[position + 1 + index]
                }
                written += 1 + Int(length)
                position = labelEnd
            case 0xC0:
                guard position + 1 < bytes.count else { return nil }
                let target = Int(bytes.loadBigEndianUInt16(at: position) & 0x3FFF)
                guard target < floor else { return nil }
                hops += 1
                guard hops <= Self.maxPointerHops else { return nil }
                if endOfName == nil { endOfName = position + 2 }
                floor = target
                position = target
            default:
                // 0x40 and 0x80 label types are obsolete or undefined (RFC 6891 5).
                return nil
            }
        }
    }

    /// Reads a name into a new `DomainName`.
    public mutating func readName() -> DomainName? {
        var scratch = [UInt8](repeating: 0, count: 256)
        let length = scratch.withUnsafeMutableBytes { readName(into: $0) }
        guard let length else { return nil }
        return DomainName(uncheckedWire: Array(scratch[0..<length]))
    }

    /// Steps over a name without copying it (still validates it).
    public mutating func skipName() -> Bool {
        withUnsafeTemporaryAllocation(byteCount: 256, alignment: 1) { readName(into: $0) } != nil
    }
}
