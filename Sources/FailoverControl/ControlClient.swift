import Glibc

/// A blocking client for the control socket: one connection, one request at a time.
///
/// ```swift
/// let client = try ControlClient(socketPath: "/run/failoverd/control.sock")
/// let group = try client.call(.groupGet(GroupAddressArgs(address: "414-262-781")))
/// ```
///
/// `call` throws ``ControlError`` when the daemon refuses a request and ``ControlClientError`` when it cannot
/// be reached or answers out of protocol. Not thread-safe: use one client per thread.
public final class ControlClient {
    /// Longest line accepted from the daemon: 256 MiB. `export` of a large installation (100 000 groups at
    /// about 400 bytes each) is some 40 MB; the bound only stops a runaway peer from exhausting memory.
    public static let maximumResponseLength = 256 * 1024 * 1024

    /// Bytes asked of each `read(2)`: 64 KiB, the size of a full request and a few pipe pages.
    static let readChunk = 64 * 1024

    public let socketPath: String
    /// Seconds to wait for each response; nil waits for ever.
    public var timeout: Double?

    private var fd: Int32
    private var framer = ControlLineFramer(maximumLineLength: ControlClient.maximumResponseLength)
    private var nextID: Int64 = 1
    private var readBuffer = [UInt8](repeating: 0, count: ControlClient.readChunk)

    /// Connects to the daemon's socket.
    public init(socketPath: String, timeout: Double? = 10) throws(ControlClientError) {
        self.socketPath = socketPath
        self.timeout = timeout
        let pathBytes = Array(socketPath.utf8)
        var address = sockaddr_un()
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw .socketPathTooLong(path: socketPath)
        }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .cannotConnect(path: socketPath, errno: errno) }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw .cannotConnect(path: socketPath, errno: code)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
    }

    /// Closes the connection; later calls fail with ``ControlClientError/connectionClosed``.
    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Sends `command` and returns its `result`, or throws the daemon's ``ControlError``.
    public func call(_ command: ControlCommand) throws -> JSONValue {
        try call(op: command.operation, args: command.args)
    }

    /// Sends `op` with `args` and returns its `result`, or throws the daemon's ``ControlError``.
    public func call(op: ControlOperation, args: [String: JSONValue] = [:]) throws -> JSONValue {
        try send(ControlRequest(id: .integer(allocateID()), operation: op, args: args)).get()
    }

    /// Sends a request and returns the response whatever its outcome.
    public func send(_ request: ControlRequest) throws(ControlClientError) -> ControlResponse {
        let deadline = timeout.map { ContinuousClock.now + .milliseconds(Int64($0 * 1_000)) }
        do {
            try write(request.line, deadline: deadline)
        } catch .connectionClosed {
            // A daemon refusing this peer (or over its connection limit) writes one line and closes
            // at once, maybe before the request went out: that line is the answer.
            guard case .response(let response)? = try? readMessage(deadline: deadline), case .failure = response,
                response.id.isNull
            else { throw .connectionClosed }
            return response
        }
        while true {
            guard case .response(let response) = try readMessage(deadline: deadline) else { continue }
            // A failure with a null id answers a line the daemon could not read (e.g. too_large): ours.
            if response.id == request.id { return response }
            if case .failure = response, response.id.isNull { return response }
            throw .unexpectedResponse("id \(response.id) does not match the request's id \(request.id)")
        }
    }

    /// What a ``watch(handler:)`` handler wants next.
    public enum WatchDecision: Sendable {
        case `continue`
        case stop
    }

    /// Turns the connection into an event stream and hands each event to `handler` until it says stop.
    ///
    /// The `watch` acknowledgement is awaited with ``timeout``; events then wait for ever. Returns the
    /// acknowledgement's result (`{"serial": N, "watching": true}`). Throws ``ControlClientError/connectionClosed``
    /// when the daemon goes away.
    @discardableResult
    public func watch(handler: (ControlEvent) throws -> WatchDecision) throws -> JSONValue {
        let acknowledgement = try call(op: .watch)
        while true {
            guard case .event(let event) = try readMessage(deadline: nil) else { continue }
            if try handler(event) == .stop { return acknowledgement }
        }
    }

    private func allocateID() -> Int64 {
        defer { nextID += 1 }
        return nextID
    }

    private func readMessage(deadline: ContinuousClock.Instant?) throws(ControlClientError) -> ControlMessage {
        let line = try readLine(deadline: deadline)
        guard let message = ControlMessage(line: line) else {
            let preview = String(decoding: line.prefix(200), as: UTF8.self)
            throw .malformedLine(preview)
        }
        return message
    }

    private func readLine(deadline: ContinuousClock.Instant?) throws(ControlClientError) -> [UInt8] {
        while true {
            switch framer.next() {
            case .line(let line)?: return line
            case .tooLarge?: throw .responseTooLarge
            case nil: break
            }
            guard fd >= 0 else { throw .connectionClosed }
            try wait(for: Int16(POLLIN), deadline: deadline)
            let count = readBuffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count == 0 { throw .connectionClosed }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw .io(operation: "read", errno: errno)
            }
            framer.append(readBuffer[0..<count])
        }
    }

    private func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant?) throws(ControlClientError) {
        var offset = 0
        while offset < bytes.count {
            guard fd >= 0 else { throw .connectionClosed }
            let count = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count < 0 {
                switch errno {
                case EINTR: continue
                case EAGAIN: try wait(for: Int16(POLLOUT), deadline: deadline)
                case EPIPE, ECONNRESET: throw .connectionClosed
                case let code: throw .io(operation: "write", errno: code)
                }
                continue
            }
            offset += count
        }
    }

    private func wait(for events: Int16, deadline: ContinuousClock.Instant?) throws(ControlClientError) {
        while true {
            var timeoutMilliseconds: Int32 = -1
            if let deadline {
                let remaining = ContinuousClock.now.duration(to: deadline)
                guard remaining > .zero else { throw .timedOut(seconds: timeout ?? 0) }
                let (seconds, attoseconds) = remaining.components
                // Round up so a poll never returns just before the deadline and spins.
                let milliseconds = seconds * 1_000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
                timeoutMilliseconds = Int32(clamping: milliseconds)
            }
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, timeoutMilliseconds)
            if ready > 0 { return }
            if ready == 0 { continue }
            if errno == EINTR { continue }
            throw .io(operation: "poll", errno: errno)
        }
    }
}
