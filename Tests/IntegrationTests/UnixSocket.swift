import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Unix-socket plumbing shared by the integration tests: one place that
/// builds a `sockaddr_un` and connects or binds with it.
enum UnixSocket {
    /// Calls `body` with the address of `path` (cut to fit `sun_path`).
    static func withAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// A socket of `type` connected to `path`, or -1 with `errno` set.
    static func connected(_ path: String, type: Int32 = Int32(SOCK_STREAM.rawValue)) -> Int32 {
        opened(path, type: type) { connect($0, $1, $2) }
    }

    /// A socket of `type` bound to `path`, or -1 with `errno` set.
    static func bound(_ path: String, type: Int32) -> Int32 {
        opened(path, type: type) { bind($0, $1, $2) }
    }

    private static func opened(_ path: String, type: Int32,
                               _ call: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        let fd = socket(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        guard withAddress(path, { call(fd, $0, $1) }) == 0 else {
            let code = errno
            close(fd)
            errno = code
            return -1
        }
        return fd
    }

    /// Whether something accepts stream connections on `path`.
    static func isListening(_ path: String) -> Bool {
        let fd = connected(path)
        if fd >= 0 { close(fd) }
        return fd >= 0
    }
}
