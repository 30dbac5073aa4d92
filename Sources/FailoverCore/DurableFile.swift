import Glibc

/// Replaces a whole file so that a crash leaves either the old content or the new, never a mix or an empty
/// file: written aside to `path.tmp`, fsynced, renamed over `path`, then the directory fsynced (the rename is
/// durable only then).
package enum DurableFile {
    /// Replaces `path` with `bytes`; on failure the old file is left as it was and no temporary file remains.
    package static func replace(_ path: String, with bytes: [UInt8], io: FileIO = .system) throws(SystemCallError) {
        let temporary = path + ".tmp"
        let fd = try POSIX.open(temporary, O_WRONLY | O_CREAT | O_TRUNC)
        do {
            try io.writeAll(fd, bytes, path: temporary)
            try io.sync(fd, path: temporary)
        } catch {
            POSIX.close(fd)
            POSIX.unlinkIfPresent(temporary)
            throw error
        }
        POSIX.close(fd)
        do {
            try POSIX.rename(temporary, path)
        } catch {
            POSIX.unlinkIfPresent(temporary)
            throw error
        }
        try POSIX.syncDirectory(directory(of: path), io: io)
    }

    /// The directory part of `path` ("." for a bare name).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
