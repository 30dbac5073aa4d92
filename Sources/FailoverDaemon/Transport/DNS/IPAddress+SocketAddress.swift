import DNSWire
import NIOCore
import QueryEngine

extension IPAddress {
    /// The peer of a TCP connection, as the cookie hash takes it; nil for a
    /// Unix-domain peer.
    static func from(peer address: SocketAddress?) -> IPAddress? {
        switch address {
        case .v4(let ipv4):
            let bytes = withUnsafeBytes(of: ipv4.address.sin_addr) { Array($0) }
            return IPAddress(ipv4: (bytes[0], bytes[1], bytes[2], bytes[3]))
        case .v6(let ipv6):
            return IPAddress(bytes: withUnsafeBytes(of: ipv6.address.sin6_addr) { Array($0) })?.unmappingIPv4()
        default:
            return nil
        }
    }
}
