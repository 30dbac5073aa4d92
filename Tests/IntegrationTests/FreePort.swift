import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Finds a port that is free for UDP and TCP on both 127.0.0.1 and ::1: the
/// kernel picks one for a UDP socket on 127.0.0.1, the others are checked by
/// binding them, and all are closed before returning.
enum FreePort {
    static func find() -> UInt16 {
        for _ in 0..<50 {
            let probe = bindSocket(type: SOCK_DGRAM, ipv6: false, port: 0)
            guard probe.fd >= 0 else { continue }
            let port = probe.port
            let others = [
                bindSocket(type: SOCK_STREAM, ipv6: false, port: port),
                bindSocket(type: SOCK_DGRAM, ipv6: true, port: port),
                bindSocket(type: SOCK_STREAM, ipv6: true, port: port),
            ]
            close(probe.fd)
            for other in others where other.fd >= 0 { close(other.fd) }
            if others.allSatisfy({ $0.fd >= 0 }) { return port }
        }
        fatalError("no free port found for UDP and TCP on 127.0.0.1 and ::1")
    }

    private static func bindSocket(type: __socket_type, ipv6: Bool, port: UInt16) -> (fd: Int32, port: UInt16) {
        let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(type.rawValue), 0)
        guard fd >= 0 else { return (-1, 0) }
        var endpoint = Endpoint(host: ipv6 ? "::1" : "127.0.0.1", port: port)
        let bound = endpoint.withSockAddr { bind(fd, $0, $1) }
        guard bound == 0 else {
            close(fd)
            return (-1, 0)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let actual: UInt16 = withUnsafePointer(to: &storage) { pointer in
            if ipv6 {
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            } else {
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            }
        }
        endpoint.port = actual
        return (fd, actual)
    }
}
