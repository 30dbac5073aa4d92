import CSystemd
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The systemd integration, in one place (Knot's systemd.h): readiness and
/// status notifications, the watchdog, and sockets passed by socket
/// activation. Every call is a no-op when not started by systemd.
public enum Systemd {
    /// True when the service manager listens for notifications.
    public static var isNotifying: Bool { ProcessInfo.processInfo.environment["NOTIFY_SOCKET"] != nil }

    /// Sends `KEY=value` lines to the service manager.
    @discardableResult
    public static func notify(_ state: String) -> Bool {
        sd_notify(0, state) > 0
    }

    public static func ready(status: String) { notify("READY=1\nSTATUS=\(status)") }
    public static func reloading() {
        notify("RELOADING=1\nMONOTONIC_USEC=\(monotonicMicroseconds())")
    }
    public static func stopping() { notify("STOPPING=1") }
    public static func status(_ text: String) { notify("STATUS=\(text)") }
    public static func watchdog() { notify("WATCHDOG=1") }

    /// The watchdog interval systemd expects pings within, if enabled.
    public static var watchdogInterval: Double? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return Double(microseconds) / 1_000_000
    }

    static func monotonicMicroseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000 + UInt64(spec.tv_nsec) / 1000
    }

    /// A socket handed over by systemd.
    public struct PassedSocket: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case udp
            case tcpListener
            case unixListener
            case other
        }

        public var fd: Int32
        public var name: String
        public var kind: Kind
    }

    /// SOCK_DGRAM and SOCK_STREAM (Linux ABI values). Spelled out because
    /// libsystemd's headers pull <sys/socket.h> into the CSystemd module, and
    /// a clean build then finds the Glibc names in neither module.
    static let socketDatagram: Int32 = 2
    static let socketStream: Int32 = 1

    /// Sockets passed by socket activation (LISTEN_FDS), classified by their
    /// type and family, with their FileDescriptorName.
    public static func passedSockets() -> [PassedSocket] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        let count = sd_listen_fds_with_names(1, &names)
        guard count > 0 else { return [] }
        defer {
            if let names {
                for index in 0..<Int(count) { free(names[index]) }
                free(names)
            }
        }
        var sockets: [PassedSocket] = []
        for index in 0..<Int(count) {
            let fd = Int32(SD_LISTEN_FDS_START) + Int32(index)
            let name = names?[index].map { String(cString: $0) } ?? "unknown"
            var kind = PassedSocket.Kind.other
            if sd_is_socket_inet(fd, 0, socketDatagram, -1, 0) > 0 {
                kind = .udp
            } else if sd_is_socket_inet(fd, 0, socketStream, 1, 0) > 0 {
                kind = .tcpListener
            } else if sd_is_socket_unix(fd, socketStream, 1, nil, 0) > 0 {
                kind = .unixListener
            }
            sockets.append(PassedSocket(fd: fd, name: name, kind: kind))
        }
        return sockets
    }
}
