import Glibc

/// A failed system call: which call, on which path, and the errno.
package struct SystemCallError: Error, CustomStringConvertible {
    var call: String
    var path: String
    var code: Int32

    package var description: String { "\(call) \(path): \(errnoText(code)) (errno \(code))" }
}

/// The text of an errno value, e.g. "No space left on device".
func errnoText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return String(cString: text)
}

/// The system calls the journal's durability rests on; tests swap them to inject ENOSPC, EIO, short writes.
package struct FileIO: Sendable {
    package var write: @Sendable (_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int
    package var fsync: @Sendable (_ fd: Int32) -> Int32

    package init(write: @escaping @Sendable (_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int,
                 fsync: @escaping @Sendable (_ fd: Int32) -> Int32) {
        self.write = write
        self.fsync = fsync
    }

    package static let system = FileIO(
        write: { fd, bytes in Glibc.write(fd, bytes.baseAddress, bytes.count) },
        fsync: { fd in Glibc.fsync(fd) }
    )

    /// Writes all of `bytes`, going on after short writes and EINTR.
    func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(SystemCallError) {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                write(fd, UnsafeRawBufferPointer(rebasing: buffer[done...]))
            }
            if written < 0 {
                let code = errno
                if code == EINTR { continue }
                throw SystemCallError(call: "write", path: path, code: code)
            }
            // A regular file never accepts 0 bytes of a non-empty write unless something is wrong.
            if written == 0 { throw SystemCallError(call: "write", path: path, code: EIO) }
            done += written
        }
    }

    /// fsync, retried on EINTR.
    func sync(_ fd: Int32, path: String) throws(SystemCallError) {
        while fsync(fd) != 0 {
            let code = errno
            if code == EINTR { continue }
            throw SystemCallError(call: "fsync", path: path, code: code)
        }
    }
}

/// Thin throwing wrappers over the POSIX calls the store uses.
enum POSIX {
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o640) throws(SystemCallError) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            let code = errno
            if code != EINTR { throw SystemCallError(call: "open", path: path, code: code) }
        }
    }

    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// The whole content of the file open at `fd`.
    static func readAll(_ fd: Int32, path: String) throws(SystemCallError) -> [UInt8] {
        var result: [UInt8] = []
        var info = stat()
        if fstat(fd, &info) == 0, info.st_size > 0 { result.reserveCapacity(Int(info.st_size)) }
        // 64 KiB reads: few calls for a typical journal, small enough for the stack-free buffer reuse.
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw SystemCallError(call: "read", path: path, code: code)
            }
            if count == 0 { return result }
            result.append(contentsOf: chunk[0..<count])
        }
    }

    static func truncate(_ fd: Int32, to length: Int, path: String) throws(SystemCallError) {
        while ftruncate(fd, off_t(length)) != 0 {
            let code = errno
            if code != EINTR { throw SystemCallError(call: "ftruncate", path: path, code: code) }
        }
    }

    static func rename(_ from: String, _ to: String) throws(SystemCallError) {
        if Glibc.rename(from, to) != 0 { throw SystemCallError(call: "rename", path: "\(from) -> \(to)", code: errno) }
    }

    static func unlinkIfPresent(_ path: String) {
        _ = Glibc.unlink(path)
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Makes a rename or a file creation in `directory` durable.
    static func syncDirectory(_ directory: String, io: FileIO) throws(SystemCallError) {
        let fd = try open(directory, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try io.sync(fd, path: directory)
    }

    /// Creates `path` and its missing parents.
    static func makeDirectories(_ path: String, mode: mode_t = 0o750) throws(SystemCallError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode) != 0 {
                let code = errno
                if code != EEXIST { throw SystemCallError(call: "mkdir", path: current, code: code) }
            }
        }
    }

    /// Takes an exclusive advisory lock, so two daemons never share a state directory.
    ///
    /// Retries for a moment: a child process forked elsewhere in this process holds a copy of the descriptor
    /// (and so the lock) until it calls exec, even after the owner closed it.
    static func lockExclusively(_ fd: Int32, path: String) throws(SystemCallError) {
        // 100 tries 10 ms apart: one second, far longer than any fork-to-exec window.
        var attempts = 100
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            attempts -= 1
            if code != EWOULDBLOCK || attempts == 0 { throw SystemCallError(call: "flock", path: path, code: code) }
            usleep(10_000)
        }
    }
}
