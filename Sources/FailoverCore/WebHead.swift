import DNSWire

/// Where an app's traffic goes: a load balancer's hostname (the group answers CNAME) or a set of
/// web server addresses (the group answers A/AAAA).
///
/// JSON: `{"hostname": "lb.example.net"}` or `{"addresses": ["192.0.2.1", "2001:db8::1"]}`.
/// Build values with ``hostname(validating:)`` and ``addresses(validating:)``, which normalize them.
public enum WebHead: Hashable, Sendable, Codable {
    /// A valid DNS hostname, lowercased, without the trailing dot.
    case hostname(String)
    /// 1 to 16 addresses, without duplicates, sorted (IPv4 first).
    case addresses([IPAddress])

    /// Most addresses one app may list; keeps an answer well inside a 512-byte UDP response.
    public static let maxAddresses = 16
    /// RFC 1035 limits: 63 octets per label, 253 characters in the text form without the final dot.
    public static let maxLabelLength = 63
    public static let maxHostnameLength = 253

    /// Validates and normalizes a hostname: labels of 1 to 63 of `[A-Za-z0-9-_]`, none starting or ending
    /// with `-`, at least two labels, the last not all digits, at most 253 characters; a trailing dot is
    /// accepted and dropped.
    public static func hostname(validating input: String) throws(FailoverError) -> WebHead {
        .hostname(try normalizeHostname(input))
    }

    /// Parses 1 to 16 IPv4/IPv6 addresses, drops duplicates and sorts them.
    public static func addresses(validating input: [String]) throws(FailoverError) -> WebHead {
        guard !input.isEmpty else {
            throw .badRequest("web head addresses are empty; give 1 to \(maxAddresses) addresses or use null")
        }
        guard input.count <= maxAddresses else {
            throw .badRequest("web head lists \(input.count) addresses; the limit is \(maxAddresses)")
        }
        var parsed = Set<IPAddress>()
        for text in input {
            guard let address = IPAddress(text) else { throw .badRequest("\(quoted(text)) is not an IPv4 or IPv6 address") }
            parsed.insert(address)
        }
        return .addresses(parsed.sorted())
    }

    /// Whether `bytes` are a hostname exactly as ``normalizeHostname(_:)`` returns it, checked without
    /// building a String (a checkpoint load asks this once per app).
    static func isNormalHostname(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard (1...maxHostnameLength).contains(bytes.count) else { return false }
        var dots = 0
        var labelLength = 0
        var allDigits = true
        var previous = UInt8(ascii: ".")
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "."):
                guard labelLength > 0, previous != UInt8(ascii: "-") else { return false }
                dots += 1
                labelLength = 0
                allDigits = true
                previous = byte
                continue
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                break
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "_"):
                allDigits = false
            case UInt8(ascii: "-"):
                guard labelLength > 0 else { return false }
                allDigits = false
            default:
                return false
            }
            labelLength += 1
            guard labelLength <= maxLabelLength else { return false }
            previous = byte
        }
        return dots > 0 && labelLength > 0 && previous != UInt8(ascii: "-") && !allDigits
    }

    static func normalizeHostname(_ input: String) throws(FailoverError) -> String {
        var name = input
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty else { throw .badRequest("hostname is empty") }
        guard name.utf8.count <= maxHostnameLength else {
            throw .badRequest("hostname is \(name.utf8.count) characters long; the limit is \(maxHostnameLength)")
        }
        let utf8 = name.utf8
        guard utf8.contains(UInt8(ascii: ".")) else {
            throw .badRequest("hostname \(quoted(input)) needs at least two labels, like lb.example.net")
        }
        var labelStart = utf8.startIndex
        while true {
            let labelEnd = utf8[labelStart...].firstIndex(of: UInt8(ascii: ".")) ?? utf8.endIndex
            let label = utf8[labelStart..<labelEnd]
            guard !label.isEmpty else { throw .badRequest("hostname \(quoted(input)) has an empty label") }
            guard label.count <= maxLabelLength else {
                throw .badRequest("hostname \(quoted(input)) has a label longer than \(maxLabelLength) characters")
            }
            guard label.allSatisfy(isHostnameByte) else {
                throw .badRequest("hostname \(quoted(input)) may use only A-Z a-z 0-9 - _ and dots between labels")
            }
            guard label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else {
                throw .badRequest("hostname \(quoted(input)) has a label starting or ending with '-'")
            }
            guard labelEnd < utf8.endIndex else {
                // RFC 3696 section 2: a top-level label is never all digits, so "192.0.2.1" is an address, not a
                // name.
                if label.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                    throw .badRequest(
                        "hostname \(quoted(input)) ends in an all-numeric label; use \"addresses\" for IPs")
                }
                break
            }
            labelStart = utf8.index(after: labelEnd)
        }
        // Only ASCII is left: lowercase it only when it has upper case.
        guard utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else { return name }
        return name.lowercased()
    }

    private static func isHostnameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }

    private enum CodingKeys: String, CodingKey {
        case hostname
        case addresses
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            switch (try container.decodeIfPresent(String.self, forKey: .hostname),
                    try container.decodeIfPresent([String].self, forKey: .addresses)) {
            case (let name?, nil):
                self = try Self.hostname(validating: name)
            case (nil, let list?):
                self = try Self.addresses(validating: list)
            default:
                throw FailoverError.badRequest("web head needs exactly one of \"hostname\" or \"addresses\"")
            }
        } catch let error as FailoverError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .hostname(let name): try container.encode(name, forKey: .hostname)
        case .addresses(let list): try container.encode(list, forKey: .addresses)
        }
    }
}
