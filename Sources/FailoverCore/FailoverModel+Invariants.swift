extension FailoverModel {
    /// The first broken invariant, described for a person, or nil when the model is consistent.
    ///
    /// ``apply(_:)`` keeps these true; the check guards state read from disk. Unsorted: O(groups).
    public func invariantViolation() -> String? {
        for group in groups.values {
            for id in [group.primary, group.backup].compactMap({ $0 }) where apps[id] == nil {
                return "group \(group.address) references missing app \(quoted(id.rawValue))"
            }
            if let primary = group.primary, primary == group.backup {
                return "group \(group.address) has \(quoted(primary.rawValue)) as both primary and backup"
            }
            if tombstones.contains(group.address) { return "group \(group.address) is also tombstoned" }
            if let pending = group.pending {
                if pending.to == group.active { return "group \(group.address) has a switch to its active role" }
                if group.app(for: pending.to) == nil {
                    return "group \(group.address) has a switch to a role with no app"
                }
            }
            if group.version == 0 { return "group \(group.address) has version 0" }
        }
        return nil
    }
}
