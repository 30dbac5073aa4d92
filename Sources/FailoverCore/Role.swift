/// Which of a group's two apps: the primary or the backup.
public enum Role: String, Hashable, Sendable, Codable, CaseIterable {
    case primary
    case backup

    /// The other role.
    public var other: Role { self == .primary ? .backup : .primary }
}
