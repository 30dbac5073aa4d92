import DNSWire

#if canImport(Glibc)
import Glibc
#endif

/// A socket address to listen on, written `127.0.0.1:5353` or `[::1]:5353`.
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(parsing text: String) throws(ConfigError) {
        let problem = ConfigError("listen address '\(text)' is not HOST:PORT (e.g. 127.0.0.1:5353 or [::1]:5353)")
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw problem }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw problem }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw problem }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = UInt16(portText) else { throw ConfigError("listen address '\(text)': bad port '\(portText)'") }
        guard let address = IPAddress(host) else {
            throw ConfigError("listen address '\(text)': '\(host)' is not an IPv4 or IPv6 address")
        }
        self.address = address
        self.port = port
    }

    /// The address in presentation form, as socket libraries take it.
    public var host: String { address.description }
    public var isIPv6: Bool { address.isIPv6 }
    /// True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104: reachable from this host only.
    public var isLoopback: Bool { address.isLoopback }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Calls `body` with this address as a `sockaddr`.
    public func withSockAddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        if isIPv6 {
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &socketAddress.sin6_addr) { _ = address.write(into: $0, at: 0) }
            return Self.call(body, with: &socketAddress)
        }
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        withUnsafeMutableBytes(of: &socketAddress.sin_addr) { _ = address.write(into: $0, at: 0) }
        return Self.call(body, with: &socketAddress)
    }

    private static func call<Family, T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T,
                                        with socketAddress: inout Family) -> T {
        withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<Family>.size)) }
        }
    }
}
