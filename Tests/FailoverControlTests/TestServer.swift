import Foundation
import Glibc

/// A one-connection Unix socket server on a thread, for client tests.
///
/// For each request line it receives, `handler` returns the chunks to write back; each chunk is written by a
/// separate `write(2)` with a short pause, so the client sees lines split across reads. A chunk `"<close>"`
/// closes the connection. `greeting` is written the same way as soon as the connection is accepted.
final class TestServer: @unchecked Sendable {
    let directory: String
    let path: String
    private let listenFD: Int32
    private let lock = NSLock()
    private var lines: [String] = []
    private let finished = DispatchSemaphore(value: 0)

    init(greeting: [String] = [], handler: @escaping @Sendable (String) -> [String]) throws {
        var template = Array("/tmp/fctl-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw POSIXError(.EIO)
        }
        directory = String(cString: made)
        path = directory + "/control.sock"
        listenFD = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listenFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, listen(listenFD, 4) == 0 else { throw POSIXError(.EADDRINUSE) }
        let fd = listenFD
        Thread.detachNewThread { [self] in
            serve(fd, greeting, handler)
            finished.signal()
        }
    }

    /// The request lines received so far, without their newlines.
    var received: [String] {
        lock.withLock { lines }
    }

    /// Waits until the connection is closed on the server's side.
    func waitUntilClosed() {
        _ = finished.wait(timeout: .now() + 5)
        finished.signal()
    }

    private func serve(_ listenFD: Int32, _ greeting: [String], _ handler: @Sendable (String) -> [String]) {
        let connection = accept(listenFD, nil, nil)
        guard connection >= 0 else { return }
        defer { close(connection) }
        guard send(greeting, to: connection) else { return }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 7)  // small reads exercise the server's own framing too
        while true {
            let count = chunk.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            buffer += chunk[0..<count]
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                lock.withLock { lines.append(line) }
                guard send(handler(line), to: connection) else { return }
            }
        }
    }

    /// Writes `replies` one by one; false at a `"<close>"`.
    private func send(_ replies: [String], to connection: Int32) -> Bool {
        for reply in replies {
            if reply == "<close>" { return false }
            let bytes = Array(reply.utf8)
            _ = bytes.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
            usleep(2_000)
        }
        return true
    }

    /// Stops listening, waits for the connection to end and removes the socket directory.
    func stop() {
        shutdown(listenFD, Int32(SHUT_RDWR))
        close(listenFD)
        _ = finished.wait(timeout: .now() + 5)
        unlink(path)
        rmdir(directory)
    }
}

/// Splits `text` into pieces of at most `size` bytes.
func pieces(_ text: String, size: Int) -> [String] {
    let bytes = Array(text.utf8)
    return stride(from: 0, to: bytes.count, by: size).map {
        String(decoding: bytes[$0..<min($0 + size, bytes.count)], as: UTF8.self)
    }
}
