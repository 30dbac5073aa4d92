import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Version facts of the control protocol shared by the daemon and its clients.
public enum ControlProtocol {
    /// The protocol version reported by `hello`. It changes only for an incompatible change; additions
    /// (new ops, new result fields, new events, new optional args) keep it.
    public static let version = 1

    /// Where `failoverctl` and clients look for the socket when nothing else is said.
    public static let systemSocketPath = "/run/failoverd/control.sock"

    /// Where the daemon puts its socket when the configuration does not say:
    /// systemd's RuntimeDirectory, else /run/failoverd for root, else the
    /// user's runtime directory (so an unprivileged `failoverd` and
    /// `failoverctl` find each other with no configuration).
    public static var defaultSocketPath: String {
        let environment = ProcessInfo.processInfo.environment
        if let runtime = environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first {
            return "\(runtime)/control.sock"
        }
        if getuid() == 0 { return systemSocketPath }
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            return "\(runtime)/failoverd/control.sock"
        }
        return "/tmp/failoverd-\(getuid())/control.sock"
    }

    /// Where a client connects when it is not told: the socket of a daemon
    /// the user runs itself (``defaultSocketPath``) if one is there, else
    /// the system daemon's (``systemSocketPath``) if that exists, even where
    /// this user may not reach it (so the error says "permission denied", not
    /// "no such file"), else ``defaultSocketPath``.
    public static var clientSocketPath: String {
        let own = defaultSocketPath
        if own != systemSocketPath, exists(own) { return own }
        if exists(systemSocketPath) { return systemSocketPath }
        return own
    }

    /// True when `path` exists or is there but hidden by permissions.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 || errno == EACCES
    }

    /// The environment variable that overrides ``clientSocketPath`` for `failoverctl`.
    public static let socketEnvironmentVariable = "FAILOVERD_SOCKET"
}
