/// A scheduled switch of a group's active role.
public struct PendingSwitch: Hashable, Sendable, Codable {
    /// Longest `requestedBy` note, in Unicode scalars.
    public static let maxRequestedByLength = 200

    /// The role that becomes active when the switch applies.
    public var to: Role
    /// When it applies: milliseconds since the Unix epoch (UTC wall clock).
    public var due: Int64
    /// When it was asked for, in milliseconds since the Unix epoch.
    public var requestedAt: Int64
    /// Free text naming who asked (at most 200 characters).
    public var requestedBy: String?

    public init(to: Role, due: Int64, requestedAt: Int64, requestedBy: String?) {
        self.to = to
        self.due = due
        self.requestedAt = requestedAt
        self.requestedBy = requestedBy
    }
}
