/// A refusal on the control channel: a stable machine-readable code and a message a person can act on.
///
/// It is both what the daemon sends in `{"ok": false, "error": {...}}` and what ``ControlClient`` throws when
/// it receives one. A failed request changes nothing.
public struct ControlError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable error code strings. Unknown codes from a newer daemon are kept as they came.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The line is not a JSON object, a field has the wrong type or is missing, or an argument is unknown.
        public static let badRequest = Code(rawValue: "bad_request")
        /// The `op` is missing or not one the daemon knows.
        public static let unknownOp = Code(rawValue: "unknown_op")
        /// The app or group named does not exist.
        public static let notFound = Code(rawValue: "not_found")
        /// The request contradicts the current state (version mismatch, same app twice, role without an app).
        public static let conflict = Code(rawValue: "conflict")
        /// The object is still referenced (an app used by a group, a group holding apps).
        public static let inUse = Code(rawValue: "in_use")
        /// The request line is longer than ``ControlRequest/maximumLineLength``.
        public static let tooLarge = Code(rawValue: "too_large")
        /// The peer's credentials are not among the allowed users and groups.
        public static let unauthorized = Code(rawValue: "unauthorized")
        /// The daemon cannot serve the request now (starting, stopping, journal not writable).
        public static let unavailable = Code(rawValue: "unavailable")
        /// A bug or an unexpected failure inside the daemon.
        public static let `internal` = Code(rawValue: "internal")

        /// Every code the protocol defines, in documentation order.
        public static let all: [Code] = [
            .badRequest, .unknownOp, .notFound, .conflict, .inUse, .tooLarge, .unauthorized, .unavailable, .internal,
        ]

        public var description: String { rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// `{"code": "...", "message": "..."}`.
    public var json: JSONValue {
        .object(["code": .string(code.rawValue), "message": .string(message)])
    }

    /// Reads the `error` member of a failure response; nil when it lacks a string `code`.
    public init?(json: JSONValue) {
        guard let code = json["code"]?.stringValue else { return nil }
        self.init(Code(rawValue: code), json["message"]?.stringValue ?? "")
    }
}

extension ControlError {
    public static func badRequest(_ message: String) -> ControlError { ControlError(.badRequest, message) }
    public static func unknownOp(_ message: String) -> ControlError { ControlError(.unknownOp, message) }
    public static func notFound(_ message: String) -> ControlError { ControlError(.notFound, message) }
    public static func conflict(_ message: String) -> ControlError { ControlError(.conflict, message) }
    public static func inUse(_ message: String) -> ControlError { ControlError(.inUse, message) }
    public static func tooLarge(_ message: String) -> ControlError { ControlError(.tooLarge, message) }
    public static func unauthorized(_ message: String) -> ControlError { ControlError(.unauthorized, message) }
    public static func unavailable(_ message: String) -> ControlError { ControlError(.unavailable, message) }
    public static func `internal`(_ message: String) -> ControlError { ControlError(.internal, message) }
}
