/// The fixed 12-byte DNS message header (RFC 1035 4.1.1).
///
///                                     1  1  1  1  1  1
///       0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
///     +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
///     |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
///     +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
///
/// `flags` holds the raw second 16-bit word; the accessors read and write bits
/// of it in place.
public struct DNSHeader: Equatable, Sendable {
    /// Size of the header on the wire.
    public static let size = 12

    public var id: UInt16
    public var flags: UInt16
    public var questionCount: UInt16
    public var answerCount: UInt16
    public var authorityCount: UInt16
    public var additionalCount: UInt16

    public init(
        id: UInt16 = 0, flags: UInt16 = 0, questionCount: UInt16 = 0, answerCount: UInt16 = 0,
        authorityCount: UInt16 = 0, additionalCount: UInt16 = 0
    ) {
        self.id = id
        self.flags = flags
        self.questionCount = questionCount
        self.answerCount = answerCount
        self.authorityCount = authorityCount
        self.additionalCount = additionalCount
    }

    public static let qrBit: UInt16 = 0x8000
    public static let aaBit: UInt16 = 0x0400
    public static let tcBit: UInt16 = 0x0200
    public static let rdBit: UInt16 = 0x0100
    public static let raBit: UInt16 = 0x0080
    public static let zBit: UInt16 = 0x0040
    public static let adBit: UInt16 = 0x0020
    public static let cdBit: UInt16 = 0x0010

    @inline(__always) private func bit(_ mask: UInt16) -> Bool { flags & mask != 0 }
    @inline(__always) private mutating func set(_ mask: UInt16, _ on: Bool) {
        flags = on ? flags | mask : flags & ~mask
    }

    public var isResponse: Bool { get { bit(Self.qrBit) } set { set(Self.qrBit, newValue) } }
    public var isAuthoritative: Bool { get { bit(Self.aaBit) } set { set(Self.aaBit, newValue) } }
    public var isTruncated: Bool { get { bit(Self.tcBit) } set { set(Self.tcBit, newValue) } }
    public var recursionDesired: Bool { get { bit(Self.rdBit) } set { set(Self.rdBit, newValue) } }
    public var recursionAvailable: Bool { get { bit(Self.raBit) } set { set(Self.raBit, newValue) } }
    public var authenticData: Bool { get { bit(Self.adBit) } set { set(Self.adBit, newValue) } }
    public var checkingDisabled: Bool { get { bit(Self.cdBit) } set { set(Self.cdBit, newValue) } }

    public var opcode: Opcode {
        get { Opcode(rawValue: UInt8((flags >> 11) & 0xF)) }
        set { flags = (flags & ~0x7800) | (UInt16(newValue.rawValue & 0xF) << 11) }
    }

    /// The low four bits of the response code (the rest lives in EDNS OPT).
    public var rcode: UInt8 {
        get { UInt8(flags & 0xF) }
        set { flags = (flags & ~0xF) | UInt16(newValue & 0xF) }
    }

    /// Reads a header from the first 12 bytes, or nil when fewer are present.
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.size else { return nil }
        id = bytes.loadBigEndianUInt16(at: 0)
        flags = bytes.loadBigEndianUInt16(at: 2)
        questionCount = bytes.loadBigEndianUInt16(at: 4)
        answerCount = bytes.loadBigEndianUInt16(at: 6)
        authorityCount = bytes.loadBigEndianUInt16(at: 8)
        additionalCount = bytes.loadBigEndianUInt16(at: 10)
    }

    /// Writes the header into the first 12 bytes of `bytes`.
    public func write(to bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.size)
        bytes.storeBigEndianUInt16(id, at: 0)
        bytes.storeBigEndianUInt16(flags, at: 2)
        bytes.storeBigEndianUInt16(questionCount, at: 4)
        bytes.storeBigEndianUInt16(answerCount, at: 6)
        bytes.storeBigEndianUInt16(authorityCount, at: 8)
        bytes.storeBigEndianUInt16(additionalCount, at: 10)
    }
}

/// DNS opcodes (RFC 1035, RFC 1996, RFC 2136).
public struct Opcode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let query = Opcode(rawValue: 0)
    public static let iquery = Opcode(rawValue: 1)
    public static let status = Opcode(rawValue: 2)
    public static let notify = Opcode(rawValue: 4)
    public static let update = Opcode(rawValue: 5)
}

/// Response codes, including the EDNS extended ones (RFC 6891).
public struct ResponseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let noError = ResponseCode(rawValue: 0)
    public static let formErr = ResponseCode(rawValue: 1)
    public static let servFail = ResponseCode(rawValue: 2)
    public static let nxDomain = ResponseCode(rawValue: 3)
    public static let notImp = ResponseCode(rawValue: 4)
    public static let refused = ResponseCode(rawValue: 5)
    public static let notAuth = ResponseCode(rawValue: 9)
    public static let badVers = ResponseCode(rawValue: 16)

    public var description: String {
        switch rawValue {
        case 0: "NOERROR"
        case 1: "FORMERR"
        case 2: "SERVFAIL"
        case 3: "NXDOMAIN"
        case 4: "NOTIMP"
        case 5: "REFUSED"
        case 9: "NOTAUTH"
        case 16: "BADVERS"
        default: "RCODE\(rawValue)"
        }
    }
}

extension UnsafeRawBufferPointer {
    @inline(__always)
    public func loadBigEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    @inline(__always)
    public func loadBigEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16 | UInt32(self[offset + 2]) << 8
            | UInt32(self[offset + 3])
    }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always)
    public func storeBigEndianUInt16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value >> 8)
        self[offset + 1] = UInt8(truncatingIfNeeded: value)
    }

    @inline(__always)
    public func storeBigEndianUInt32(_ value: UInt32, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value >> 24)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 16)
        self[offset + 2] = UInt8(truncatingIfNeeded: value >> 8)
        self[offset + 3] = UInt8(truncatingIfNeeded: value)
    }
}

extension DNSHeader {
    /// Cuts a response in `message` back to its header and question, with TC
    /// set and no records (what a truncated UDP reply with nothing in it
    /// looks like: the client retries over TCP). Returns the new length,
    /// `questionEnd`, or 0 when the message is shorter than a header.
    @inline(__always)
    public static func truncateToQuestion(_ message: UnsafeMutableRawBufferPointer, questionEnd: Int) -> Int {
        guard message.count >= size, questionEnd >= size, questionEnd <= message.count else { return 0 }
        message[2] |= UInt8(tcBit >> 8)
        // ANCOUNT, NSCOUNT, ARCOUNT: bytes 6 to 11.
        for offset in 6..<size { message[offset] = 0 }
        return questionEnd
    }
}
