import NIOCore
import QueryEngine

extension ClientAddress {
    /// The peer of a TCP connection, as the cookie hash takes it; nil for a
    /// Unix-domain peer.
    static func from(peer address: SocketAddress?) -> ClientAddress? {
        switch address {
        case .v4(let ipv4):
            let bytes = withUnsafeBytes(of: ipv4.address.sin_addr) { Array($0) }
            return ClientAddress(ipv4: (bytes[0], bytes[1], bytes[2], bytes[3]))
        case .v6(let ipv6):
            return ClientAddress(ipv6: withUnsafeBytes(of: ipv6.address.sin6_addr) { Array($0) })
        default:
            return nil
        }
    }
}
