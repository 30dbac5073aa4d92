/// The OPT pseudo-record (RFC 6891 6.1.2) as a responder writes it into a
/// message buffer: no allocation, for the query path.
public enum OPTRecord {
    /// The record without options: root owner, type, class (payload size),
    /// TTL (extended rcode, version, flags), RDLENGTH.
    public static let fixedSize = 11
    /// An option's code and length fields.
    public static let optionHeaderSize = 4
    /// The DO bit in the flags (the low 16 bits of the TTL).
    public static let dnssecOKFlag: UInt32 = 0x8000
    /// EDNS option code of COOKIE (RFC 7873).
    public static let cookieOptionCode: UInt16 = 10

    /// Writes an OPT record of version 0 at `offset` and returns the offset
    /// after it: `option` (code and value) is its only option, if any. The
    /// caller has checked the room: ``fixedSize``, plus ``optionHeaderSize``
    /// and the value's length for an option.
    @inline(__always)
    public static func write(
        into buffer: UnsafeMutableRawBufferPointer, at offset: Int, payloadSize: UInt16, extendedRcode: UInt8,
        dnssecOK: Bool, option: (code: UInt16, value: UnsafeRawBufferPointer)? = nil
    ) -> Int {
        buffer[offset] = 0
        buffer.storeBigEndianUInt16(RecordType.opt.rawValue, at: offset + 1)
        buffer.storeBigEndianUInt16(payloadSize, at: offset + 3)
        buffer[offset + 5] = extendedRcode
        buffer[offset + 6] = 0
        buffer.storeBigEndianUInt16(dnssecOK ? UInt16(dnssecOKFlag) : 0, at: offset + 7)
        guard let option else {
            buffer.storeBigEndianUInt16(0, at: offset + 9)
            return offset + fixedSize
        }
        let valueStart = offset + fixedSize + optionHeaderSize
        buffer.storeBigEndianUInt16(UInt16(optionHeaderSize + option.value.count), at: offset + 9)
        buffer.storeBigEndianUInt16(option.code, at: offset + fixedSize)
        buffer.storeBigEndianUInt16(UInt16(option.value.count), at: offset + fixedSize + 2)
        UnsafeMutableRawBufferPointer(rebasing: buffer[valueStart..<(valueStart + option.value.count)])
            .copyMemory(from: option.value)
        return valueStart + option.value.count
    }
}
