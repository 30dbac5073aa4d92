/// An address prefix such as `192.0.2.0/24` or `2001:db8::/32`; a bare
/// address is its own full-length prefix.
public struct AddressPrefix: Sendable, Hashable, CustomStringConvertible {
    /// The prefix's address, with the bits past `length` cleared.
    public let network: IPAddress
    public let length: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        var length = address.byteCount * 8
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].utf8.allSatisfy({ (48...57).contains($0) }), let given = Int(parts[1]),
                (0...length).contains(given)
            else {
                return nil
            }
            length = given
        }
        self.init(address, length: length)
    }

    /// The prefix of `address`'s first `length` bits (clamped to its family's width).
    public init(_ address: IPAddress, length: Int) {
        self.length = max(0, min(address.byteCount * 8, length))
        network = address.prefix(bits: self.length)
    }

    /// Whether `address` is in the prefix; an IPv4-mapped IPv6 address is
    /// taken as the IPv4 address it carries.
    @inline(__always)
    public func contains(_ address: IPAddress) -> Bool {
        let candidate = address.unmappingIPv4()
        return candidate.isIPv6 == network.isIPv6 && candidate.prefix(bits: length) == network
    }

    public var description: String { "\(network)/\(length)" }
}
