/// An app's health as one checker or the quorum sees it.
public enum HealthState: String, Sendable, Hashable, CaseIterable {
    /// At least one address passes (after `rise` passing rounds).
    case up
    /// Every address failed `fall` rounds in a row.
    case down
    /// No verdict yet (just started, just configured, or no fresh verdict).
    case unknown
}
