#if canImport(Glibc)
import Glibc
#endif

/// The user and group databases (NSS) through the reentrant calls, each
/// lookup with buffers of its own: safe from any thread at once. A lookup may
/// be slow (LDAP, sssd), so it belongs on a thread that may block.
enum AccountDatabase {
    /// A user's entry: the fields the access check needs.
    struct User: Sendable, Equatable {
        var name: String
        var uid: UInt32
        var gid: UInt32
    }

    /// The largest buffer offered to one lookup; an entry needing more is taken as absent.
    static let bufferLimit = 1 << 24

    /// The user with this uid; nil when there is none or the lookup fails.
    /// `bufferSize` is the first buffer tried (the system's hint by default).
    static func user(uid: UInt32, bufferSize: Int = sysconf(Int32(_SC_GETPW_R_SIZE_MAX))) -> User? {
        withGrowingBuffer(initial: bufferSize) { buffer, size in
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>? = nil
            let code = getpwuid_r(uid, &entry, buffer, size, &result)
            guard code == 0, let found = result, let name = found.pointee.pw_name else { return (code, nil) }
            return (0, User(name: String(cString: name), uid: found.pointee.pw_uid, gid: found.pointee.pw_gid))
        }
    }

    /// The gid of the group with this name; nil when there is none or the lookup fails.
    static func groupID(named name: String, bufferSize: Int = sysconf(Int32(_SC_GETGR_R_SIZE_MAX))) -> UInt32? {
        withGrowingBuffer(initial: bufferSize) { buffer, size in
            var entry = group()
            var result: UnsafeMutablePointer<group>? = nil
            let code = getgrnam_r(name, &entry, buffer, size, &result)
            guard code == 0, let found = result else { return (code, nil) }
            return (0, found.pointee.gr_gid)
        }
    }

    /// Most groups asked of `getgrouplist` (Linux's NGROUPS_MAX).
    static let groupLimit = 65536

    /// Every group `user` belongs to: its primary group and its supplementary groups.
    static func groupIDs(of user: User) -> [UInt32] {
        var capacity = 64
        while capacity <= groupLimit {
            var groups = [gid_t](repeating: 0, count: capacity)
            var count = Int32(capacity)
            if getgrouplist(user.name, user.gid, &groups, &count) >= 0 {
                return Array(groups.prefix(Int(count)))
            }
            // Too small: glibc stores the number needed in `count`.
            capacity = max(Int(count), capacity * 2)
        }
        return [user.gid]
    }

    /// Runs a `*_r` lookup with a buffer of `initial` bytes (1 KiB when the
    /// system has no hint), doubling it while the lookup answers ERANGE.
    private static func withGrowingBuffer<T>(
        initial: Int, _ lookup: (UnsafeMutablePointer<CChar>, Int) -> (Int32, T?)
    ) -> T? {
        var size = initial > 0 ? initial : 1024
        while size <= bufferLimit {
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
            defer { buffer.deallocate() }
            let (code, value) = lookup(buffer, size)
            switch code {
            case ERANGE: size *= 2
            case EINTR: continue
            default: return value
            }
        }
        return nil
    }
}
