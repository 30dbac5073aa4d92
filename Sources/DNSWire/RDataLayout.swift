/// Where the domain names sit inside the RDATA of a type: some fixed bytes,
/// then `nameCount` names, then some fixed bytes. Types not listed here are
/// opaque (RFC 3597) and copied as they are.
public struct RDataLayout: Sendable {
    public let leadingBytes: Int
    public let nameCount: Int
    public let trailingBytes: Int

    public static func of(_ type: RecordType) -> RDataLayout? {
        switch type {
        case .ns, .cname, .ptr, .dname: RDataLayout(leadingBytes: 0, nameCount: 1, trailingBytes: 0)
        case .soa: RDataLayout(leadingBytes: 0, nameCount: 2, trailingBytes: 20)
        case .mx: RDataLayout(leadingBytes: 2, nameCount: 1, trailingBytes: 0)
        case .srv: RDataLayout(leadingBytes: 6, nameCount: 1, trailingBytes: 0)
        default: nil
        }
    }
}

/// Reads RDATA at the reader's cursor, expanding compressed names, and
/// returns it in uncompressed form. Nil when malformed or when it does not
/// end exactly at `length`.
public func readUncompressedRData(_ reader: inout WireReader, type: RecordType, length: Int) -> [UInt8]? {
    let end = reader.offset + length
    guard length >= 0, end <= reader.bytes.count else { return nil }
    guard let layout = RDataLayout.of(type) else {
        return reader.readSlice(length).map { Array($0) }
    }
    var result: [UInt8] = []
    guard let leading = reader.readSlice(layout.leadingBytes) else { return nil }
    result.append(contentsOf: leading)
    for _ in 0..<layout.nameCount {
        guard reader.offset < end, let name = reader.readName(), reader.offset <= end else { return nil }
        result.append(contentsOf: name.wire)
    }
    guard reader.offset + layout.trailingBytes == end, let trailing = reader.readSlice(layout.trailingBytes) else {
        return nil
    }
    result.append(contentsOf: trailing)
    return result
}

/// Validates uncompressed RDATA against its type's layout.
public func isWellFormedRData(_ rdata: [UInt8], type: RecordType) -> Bool {
    guard let layout = RDataLayout.of(type) else { return true }
    var offset = layout.leadingBytes
    for _ in 0..<layout.nameCount {
        guard offset < rdata.count else { return false }
        var position = offset
        while true {
            guard position < rdata.count else { return false }
            let length = Int(rdata[position])
            if length == 0 { position += 1; break }
            guard length <= 63 else { return false }
            position += 1 + length
        }
        guard position - offset <= DomainName.maxWireLength else { return false }
        offset = position
    }
    return offset + layout.trailingBytes == rdata.count
}

extension WireWriter {
    /// Writes uncompressed RDATA with its RDLENGTH, compressing names where
    /// the type allows it (RFC 3597 4).
    public mutating func writeRData(_ rdata: UnsafeRawBufferPointer, type: RecordType) -> Bool {
        let lengthOffset = offset
        guard writeUInt16(0) else { return false }
        if let layout = RDataLayout.of(type), type.hasCompressibleRDataNames {
            var position = 0
            guard writeBytes(UnsafeRawBufferPointer(rebasing: rdata[0..<layout.leadingBytes])) else { return false }
            position = layout.leadingBytes
            for _ in 0..<layout.nameCount {
                var end = position
                while rdata[end] != 0 { end += 1 + Int(rdata[end]) }
                end += 1
                guard writeName(UnsafeRawBufferPointer(rebasing: rdata[position..<end])) else { return false }
                position = end
            }
            guard writeBytes(UnsafeRawBufferPointer(rebasing: rdata[position...])) else { return false }
        } else {
            guard writeBytes(rdata) else { return false }
        }
        buffer.storeBigEndianUInt16(UInt16(offset - lengthOffset - 2), at: lengthOffset)
        return true
    }
}
