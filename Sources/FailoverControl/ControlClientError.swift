import Glibc

/// A failure to talk to the daemon at all (as opposed to a refusal, which is a ``ControlError``).
public enum ControlClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `connect(2)` failed: the daemon is not running, the path is wrong, or permissions deny access.
    case cannotConnect(path: String, errno: Int32)
    /// The path does not fit in `sockaddr_un.sun_path` (108 bytes with its terminating NUL).
    case socketPathTooLong(path: String)
    /// No complete response within the timeout.
    case timedOut(seconds: Double)
    /// The daemon closed the connection.
    case connectionClosed
    /// A system call on the connected socket failed.
    case io(operation: String, errno: Int32)
    /// The daemon sent a line that is not a response or event of this protocol.
    case malformedLine(String)
    /// A line from the daemon exceeded ``ControlClient/maximumResponseLength``.
    case responseTooLarge
    /// The response answered another request than the one sent.
    case unexpectedResponse(String)

    public var description: String {
        switch self {
        case .cannotConnect(let path, let code):
            "cannot connect to \(path): \(Self.describe(code))"
        case .socketPathTooLong(let path):
            "socket path is too long for a Unix socket (max 107 bytes): \(path)"
        case .timedOut(let seconds):
            "no response from the daemon within \(ControlDuration.string(seconds: seconds))"
        case .connectionClosed:
            "the daemon closed the connection"
        case .io(let operation, let code):
            "\(operation) failed: \(Self.describe(code))"
        case .malformedLine(let reason):
            "the daemon sent a line this client cannot read: \(reason)"
        case .responseTooLarge:
            "the daemon sent a line longer than \(ControlClient.maximumResponseLength) bytes"
        case .unexpectedResponse(let reason):
            "unexpected response: \(reason)"
        }
    }

    static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
