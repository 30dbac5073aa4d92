import DNSWire

/// What the engine did with one packet: the response length (0 when the
/// packet is dropped) and facts for metrics and logs.
public struct QueryOutcome: Equatable, Sendable {
    public enum Disposition: Equatable, Sendable {
        /// A response was written.
        case answered
        /// No response: too short, a response, or an unreadable question.
        case dropped
        /// Nothing written: the query ends with a TSIG record (RFC 8945),
        /// which the transport verifies off the hot path before answering
        /// the query without it and signing the reply.
        case needsTSIG
    }

    public var disposition: Disposition
    public var length: Int
    public var rcode: ResponseCode
    public var queryType: RecordType
    public var truncated: Bool
    /// The query carried a valid server cookie: the client's address is
    /// proven (rate limiting exempts it).
    public var validCookie = false
    /// End of the question in the response (a slipped, truncated reply keeps
    /// only header and question).
    public var questionEnd = 0

    public init(disposition: Disposition, length: Int, rcode: ResponseCode, queryType: RecordType, truncated: Bool,
                validCookie: Bool = false, questionEnd: Int = 0) {
        self.disposition = disposition
        self.length = length
        self.rcode = rcode
        self.queryType = queryType
        self.truncated = truncated
        self.validCookie = validCookie
        self.questionEnd = questionEnd
    }

    public static let dropped = QueryOutcome(disposition: .dropped, length: 0, rcode: .noError,
                                             queryType: RecordType(0), truncated: false)

    static func needsTSIG(_ queryType: UInt16) -> QueryOutcome {
        QueryOutcome(disposition: .needsTSIG, length: 0, rcode: .noError, queryType: RecordType(queryType),
                     truncated: false)
    }
}

/// How a query arrived; it sets the response size limit.
public enum Transport: Sendable {
    case udp
    case tcp
}
