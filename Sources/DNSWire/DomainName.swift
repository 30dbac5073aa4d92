/// A domain name as flat, uncompressed wire bytes (length-prefixed labels and
/// the terminating zero), with the case kept as given.
///
/// `lowercased` is the form used for lookups and comparisons (RFC 4343: ASCII
/// case-insensitive); `wire` is the form written to the wire.
public struct DomainName: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// Longest name in wire form (RFC 1035 3.1).
    public static let maxWireLength = 255
    /// Longest label (RFC 1035 3.1: the top two bits of a length are flags).
    public static let maxLabelLength = 63

    public private(set) var wire: [UInt8]

    public static let root = DomainName(uncheckedWire: [0])

    /// Wraps wire bytes already known to be a valid uncompressed name.
    public init(uncheckedWire: [UInt8]) { self.wire = uncheckedWire }

    /// Validates wire bytes: labels within bounds, terminated, no pointers.
    public init?(wire: [UInt8]) {
        var offset = 0
        while true {
            guard offset < wire.count, offset < Self.maxWireLength else { return nil }
            let length = Int(wire[offset])
            if length == 0 { break }
            guard length <= Self.maxLabelLength else { return nil }
            offset += 1 + length
        }
        guard offset + 1 == wire.count else { return nil }
        self.wire = wire
    }

    /// Parses presentation format (`www.Example.com.`, `\.` and `\DDD`
    /// escapes). A name without the final dot is taken as absolute.
    public init(_ text: String) throws(NameError) {
        if text == "." || text.isEmpty {
            self = .root
            return
        }
        var wire: [UInt8] = []
        var label: [UInt8] = []
        let bytes = Array(text.utf8)
        var index = 0
        func closeLabel() throws(NameError) {
            guard !label.isEmpty else { throw .emptyLabel(text) }
            guard label.count <= Self.maxLabelLength else { throw .labelTooLong(text) }
            wire.append(UInt8(label.count))
            wire.append(contentsOf: label)
            label.removeAll(keepingCapacity: true)
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: ".") {
                try closeLabel()
                index += 1
                if index == bytes.count { break }
                continue
            }
            if byte == UInt8(ascii: "\\") {
                index += 1
                guard index < bytes.count else { throw .badEscape(text) }
                if index + 2 < bytes.count, let d0 = digit(bytes[index]), let d1 = digit(bytes[index + 1]),
                    let d2 = digit(bytes[index + 2])
                {
                    let value = d0 * 100 + d1 * 10 + d2
                    guard value <= 255 else { throw .badEscape(text) }
                    label.append(UInt8(value))
                    index += 3
                } else {
                    label.append(bytes[index])
                    index += 1
                }
                continue
            }
            label.append(byte)
            index += 1
        }
        if !label.isEmpty { try closeLabel() }
        wire.append(0)
        guard wire.count <= Self.maxWireLength else { throw .nameTooLong(text) }
        self.wire = wire
    }

    /// The name with ASCII letters lowercased.
    public var lowercased: DomainName {
        DomainName(uncheckedWire: wire.map(asciiLowercase))
    }

    /// Number of labels, not counting the root.
    public var labelCount: Int {
        var count = 0
        var offset = 0
        while wire[offset] != 0 {
            count += 1
            offset += 1 + Int(wire[offset])
        }
        return count
    }

    /// The labels as byte arrays, leftmost first.
    public var labels: [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var offset = 0
        while wire[offset] != 0 {
            let length = Int(wire[offset])
            result.append(wire[(offset + 1)..<(offset + 1 + length)])
            offset += 1 + length
        }
        return result
    }

    /// The name without its leftmost label (root stays root).
    public var parent: DomainName {
        guard wire[0] != 0 else { return self }
        return DomainName(uncheckedWire: Array(wire[(1 + Int(wire[0]))...]))
    }

    /// True when `self` equals `ancestor` or lies below it (case-insensitive).
    public func isSubdomain(of ancestor: DomainName) -> Bool {
        guard wire.count >= ancestor.wire.count else { return false }
        var offset = 0
        while offset < wire.count {
            if wire.count - offset == ancestor.wire.count {
                return wire[offset...].elementsEqual(ancestor.wire, by: { asciiLowercase($0) == asciiLowercase($1) })
            }
            if wire[offset] == 0 { return false }
            offset += 1 + Int(wire[offset])
        }
        return false
    }

    /// Prepends one label.
    public func prepending(label: some Collection<UInt8>) throws(NameError) -> DomainName {
        guard !label.isEmpty else { throw .emptyLabel(description) }
        guard label.count <= Self.maxLabelLength else { throw .labelTooLong(description) }
        guard wire.count + 1 + label.count <= Self.maxWireLength else { throw .nameTooLong(description) }
        return DomainName(uncheckedWire: [UInt8(label.count)] + label + wire)
    }

    /// Presentation format with the final dot, escaping as RFC 4343 asks.
    public var description: String {
        if wire == [0] { return "." }
        var text = ""
        var offset = 0
        while wire[offset] != 0 {
            let length = Int(wire[offset])
            for byte in wire[(offset + 1)..<(offset + 1 + length)] {
                switch byte {
                case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: ";"),
                    UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "@"), UInt8(ascii: "$"):
                    text.append("\\")
                    text.append(Character(Unicode.Scalar(byte)))
                case 0x21...0x7E:
                    text.append(Character(Unicode.Scalar(byte)))
                default:
                    let digits = String(byte)
                    text.append("\\" + String(repeating: "0", count: 3 - digits.count) + digits)
                }
            }
            text.append(".")
            offset += 1 + length
        }
        return text
    }

    public static func == (lhs: DomainName, rhs: DomainName) -> Bool {
        lhs.wire.count == rhs.wire.count
            && lhs.wire.elementsEqual(rhs.wire, by: { asciiLowercase($0) == asciiLowercase($1) })
    }

    public func hash(into hasher: inout Hasher) {
        for byte in wire { hasher.combine(asciiLowercase(byte)) }
    }

    /// Canonical DNS order (RFC 4034 6.1): compare labels right to left.
    public static func < (lhs: DomainName, rhs: DomainName) -> Bool {
        let left = lhs.lowercased.labels.reversed()
        let right = rhs.lowercased.labels.reversed()
        for (l, r) in zip(left, right) where !l.elementsEqual(r) {
            return l.lexicographicallyPrecedes(r)
        }
        return left.count < right.count
    }
}

/// Why a name could not be parsed.
public enum NameError: Error, Equatable, CustomStringConvertible {
    case emptyLabel(String)
    case labelTooLong(String)
    case nameTooLong(String)
    case badEscape(String)

    public var description: String {
        switch self {
        case .emptyLabel(let n): "empty label in name '\(n)'"
        case .labelTooLong(let n): "label longer than 63 octets in name '\(n)'"
        case .nameTooLong(let n): "name longer than 255 octets: '\(n)'"
        case .badEscape(let n): "bad escape in name '\(n)'"
        }
    }
}

@inline(__always)
public func asciiLowercase(_ byte: UInt8) -> UInt8 {
    byte &- 0x41 < 26 ? byte | 0x20 : byte
}

@inline(__always)
private func digit(_ byte: UInt8) -> Int? {
    byte >= 0x30 && byte <= 0x39 ? Int(byte - 0x30) : nil
}
