/// An error with a stable machine-readable code and a message a person can act on.
///
/// The codes are part of the control protocol contract: never rename one.
/// A request that fails with any of these errors changed nothing.
public struct FailoverError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The stable error codes shared with the control protocol.
    public enum Code: String, Codable, Sendable, CaseIterable {
        case badRequest = "bad_request"
        case unknownOp = "unknown_op"
        case notFound = "not_found"
        case conflict = "conflict"
        case inUse = "in_use"
        case tooLarge = "too_large"
        case unauthorized = "unauthorized"
        case unavailable = "unavailable"
        case `internal` = "internal"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    static func badRequest(_ message: String) -> FailoverError { FailoverError(.badRequest, message) }
    static func notFound(_ message: String) -> FailoverError { FailoverError(.notFound, message) }
    static func conflict(_ message: String) -> FailoverError { FailoverError(.conflict, message) }
    static func inUse(_ message: String) -> FailoverError { FailoverError(.inUse, message) }
    static func unavailable(_ message: String) -> FailoverError { FailoverError(.unavailable, message) }
    static func corrupt(_ message: String) -> FailoverError { FailoverError(.internal, message) }
}
