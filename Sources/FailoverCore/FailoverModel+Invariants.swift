extension FailoverModel {
    /// The first broken invariant, described for a person, or nil when the model is consistent.
    ///
    /// ``apply(_:)`` keeps these true; the check guards state read from disk. It reads the packed
    /// rows directly (no `Group` or `App` values), in row order: O(groups), about 0.1 s at a million.
    public func invariantViolation() -> String? {
        let rows = groupStore.rows
        let appRows = appStore.rows
        // Read in slot order once, not per reference in group order (a cache miss each at a million).
        let apps = appRows.indices.map { appRows[$0].length != 0 && appStore.isApp($0) }
        for row in groupStore.liveRows {
            let fields = rows[row]
            let address = GroupAddress(value: fields.address)
            func name() -> String { address?.description ?? "\(fields.address)" }
            if let problem = missingApp(fields.primary, apps: apps) ?? missingApp(fields.backup, apps: apps) {
                return "group \(name()) references \(problem)"
            }
            if fields.primary != 0, fields.primary == fields.backup {
                let id = appStore.id(at: Int(fields.primary) - 1)
                return "group \(name()) has \(quoted(id.rawValue)) as both primary and backup"
            }
            if let address, tombstones.contains(address) { return "group \(address) is also tombstoned" }
            if let pending = groupStore.pending(of: row) {
                if pending.to == fields.active { return "group \(name()) has a switch to its active role" }
                if fields.app(pending.to) == 0 {
                    return "group \(name()) has a switch to a role with no app"
                }
            }
            if groupStore.version(of: row) == 0 { return "group \(name()) has version 0" }
        }
        return nil
    }

    /// Why app number `number` (slot + 1; 0 for an empty role) is not an app, or nil when it is one;
    /// `apps` tells by slot which hold an app.
    private func missingApp(_ number: UInt32, apps: [Bool]) -> String? {
        guard number != 0 else { return nil }
        let slot = Int(number) - 1
        if slot < apps.count, apps[slot] { return nil }
        guard slot < apps.count, appStore.rows[slot].length != 0 else { return "app slot \(number), which is free" }
        return "missing app \(quoted(appStore.id(at: slot).rawValue))"
    }
}
