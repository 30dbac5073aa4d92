import CNetShim
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Who is on the other end of a control connection (SO_PEERCRED).
public struct PeerCredentials: Sendable, Equatable {
    public var pid: UInt32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: UInt32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    /// Reads the peer of a Unix stream channel; nil when it cannot be read.
    static func read(_ channel: Channel) async -> PeerCredentials? {
        guard let provider = channel as? SocketOptionProvider else { return nil }
        let value: fo_ucred? = try? await provider.unsafeGetSocketOption(
            level: .socket, name: NIOBSDSocket.Option(rawValue: SO_PEERCRED)
        ).get()
        guard let value else { return nil }
        return PeerCredentials(pid: UInt32(bitPattern: value.pid), uid: value.uid, gid: value.gid)
    }
}

/// The control channel's access rule: the daemon's own user, a user named in
/// `allow-users`, or a member (primary or supplementary) of a group named in
/// `allow-groups`.
public struct AccessPolicy: Sendable {
    public var allowUsers: [String]
    public var allowGroups: [String]
    public var ownUID: UInt32

    public init(allowUsers: [String], allowGroups: [String], ownUID: UInt32 = getuid()) {
        self.allowUsers = allowUsers
        self.allowGroups = allowGroups
        self.ownUID = ownUID
    }

    /// Nil when allowed, else the reason for refusing. Looks the peer up in
    /// NSS, which may block: from async code use ``check(_:)``.
    public func refusal(for peer: PeerCredentials?) -> String? {
        admission(for: peer).refusal
    }

    /// What ``admit(_:)`` found: the refusal, if any, and the peer's user name (nil without one).
    public struct Admission: Sendable {
        public var refusal: String?
        public var userName: String?
    }

    /// ``refusal(for:)`` with the peer's user name, looked up once for both.
    func admission(for peer: PeerCredentials?) -> Admission {
        guard let peer else { return Admission(refusal: "the peer's credentials could not be read") }
        let user = AccountDatabase.user(uid: peer.uid)
        return Admission(refusal: refusal(for: peer, user: user), userName: user?.name)
    }

    private func refusal(for peer: PeerCredentials, user: AccountDatabase.User?) -> String? {
        if peer.uid == ownUID { return nil }
        if let user, allowUsers.contains(user.name) { return nil }
        if !allowGroups.isEmpty {
            let allowed = Set(allowGroups.compactMap { AccountDatabase.groupID(named: $0) })
            if allowed.contains(peer.gid) { return nil }
            if let user, AccountDatabase.groupIDs(of: user).contains(where: allowed.contains) { return nil }
        }
        return "uid \(peer.uid) (\(user?.name ?? "unknown")) is not in control.allow-users or control.allow-groups"
    }

    /// ``refusal(for:)`` on NIO's blocking thread pool: a slow NSS lookup
    /// holds one of its threads, not the Swift concurrency pool.
    public func check(_ peer: PeerCredentials?) async -> String? {
        await admit(peer).refusal
    }

    /// ``check(_:)`` with the peer's user name (for the audit trail), in one trip to the blocking pool.
    public func admit(_ peer: PeerCredentials?) async -> Admission {
        do {
            return try await NIOThreadPool.singleton.runIfActive { [self] in admission(for: peer) }
        } catch {
            return Admission(refusal: "the access check could not run (\(error))")
        }
    }
}

/// Checks whether a Unix socket path has a live listener.
enum UnixSocketProbe {
    static func isListening(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
            raw[path.utf8.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }
}
