/// Writes a DNS message into caller-owned memory, up to `limit` bytes, with
/// bounded name compression. Every write returns false when it would pass the
/// limit; `mark()`/`rollback(to:)` drop a partly written record set, so a
/// message is truncated by whole RRsets.
public struct WireWriter {
    public let buffer: UnsafeMutableRawBufferPointer
    public var offset: Int
    public var limit: Int
    public let compression: CompressionTable

    public init(buffer: UnsafeMutableRawBufferPointer, limit: Int, compression: CompressionTable, offset: Int = 0) {
        self.buffer = buffer
        self.limit = min(limit, buffer.count)
        self.compression = compression
        self.offset = offset
    }

    /// A position to roll back to: the write offset and compression entries.
    public struct Mark {
        let offset: Int
        let compressionCount: Int
    }

    @inline(__always) public func mark() -> Mark { Mark(offset: offset, compressionCount: compression.count) }

    @inline(__always) public mutating func rollback(to mark: Mark) {
        offset = mark.offset
        compression.count = mark.compressionCount
    }

    @inline(__always) public mutating func writeUInt8(_ value: UInt8) -> Bool {
        guard offset + 1 <= limit else { return false }
        buffer[offset] = value
        offset += 1
        return true
    }

    @inline(__always) public mutating func writeUInt16(_ value: UInt16) -> Bool {
        guard offset + 2 <= limit else { return false }
        buffer.storeBigEndianUInt16(value, at: offset)
        offset += 2
        return true
    }

    @inline(__always) public mutating func writeUInt32(_ value: UInt32) -> Bool {
        guard offset + 4 <= limit else { return false }
        buffer.storeBigEndianUInt32(value, at: offset)
        offset += 4
        return true
    }

    @inline(__always) public mutating func writeBytes(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard offset + bytes.count <= limit else { return false }
        if let base = bytes.baseAddress, bytes.count > 0 {
            (buffer.baseAddress! + offset).copyMemory(from: base, byteCount: bytes.count)
        }
        offset += bytes.count
        return true
    }

    public mutating func writeBytes(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { writeBytes($0) }
    }

    /// Remembers the name written at `offset` (uncompressed labels up to a
    /// pointer or the root) so later names can point into it.
    public func registerName(at start: Int) {
        var position = start
        while position < offset {
            let length = buffer[position]
            if length == 0 || length & 0xC0 != 0 { return }
            compression.add(position)
            position += 1 + Int(length)
        }
    }

    /// Writes an uncompressed wire name, compressing against the table when
    /// `compress` is true. Registers the labels it writes either way.
    public mutating func writeName(_ name: UnsafeRawBufferPointer, compress: Bool = true) -> Bool {
        let start = offset
        var position = 0
        while position < name.count, name[position] != 0 {
            if compress, let target = findSuffix(name, from: position) {
                guard offset + position + 2 <= limit else { return false }
                if position > 0 {
                    _ = writeBytes(UnsafeRawBufferPointer(rebasing: name[0..<position]))
                }
                _ = writeUInt16(0xC000 | UInt16(target))
                registerName(at: start)
                return true
            }
            position += 1 + Int(name[position])
        }
        guard writeBytes(name) else { return false }
        registerName(at: start)
        return true
    }

    public mutating func writeName(_ name: DomainName, compress: Bool = true) -> Bool {
        name.wire.withUnsafeBytes { writeName($0, compress: compress) }
    }

    /// Finds an entry whose name in the message equals `name[from...]`.
    private func findSuffix(_ name: UnsafeRawBufferPointer, from start: Int) -> Int? {
        let firstLength = name[start]
        for index in 0..<compression.count {
            let candidate = Int(compression.storage[index])
            if buffer[candidate] == firstLength, messageName(at: candidate, equals: name, from: start) {
                return candidate
            }
        }
        return nil
    }

    /// Compares a name in the written message (following pointers, bounded)
    /// with `name[from...]`, ASCII case-insensitively.
    private func messageName(at start: Int, equals name: UnsafeRawBufferPointer, from nameStart: Int) -> Bool {
        var position = start
        var namePosition = nameStart
        var hops = 0
        while true {
            guard position < offset else { return false }
            let length = buffer[position]
            if length & 0xC0 == 0xC0 {
                hops += 1
                guard hops <= WireReader.maxPointerHops, position + 1 < offset else { return false }
                position = Int(buffer.loadBigEndianUInt16(at: position) & 0x3FFF)
                continue
            }
            guard namePosition < name.count, name[namePosition] == length else { return false }
            if length == 0 { return true }
            let count = Int(length)
            guard position + count < offset else { return false }
            for index in 1...count
            where asciiLowercase(buffer[position + index]) != asciiLowercase(name[namePosition + index]) {
                return false
            }
            position += 1 + count
            namePosition += 1 + count
        }
    }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always)
    public func loadBigEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }
}
