extension FailoverModel {
    /// Longest delay between asking for a switch and its due time: 7 days, in milliseconds.
    public static let maxSwitchDelay: Int64 = 7 * 24 * 3600 * 1000

    /// A validated mutation, reduced to what it writes.
    private enum Change {
        case nothing
        case putApp(App)
        case removeApp(AppID)
        case setGroup(old: Group?, new: Group, events: [ModelEvent])
        case deleteGroup(Group)
    }

    /// Checks `mutation` against the model without changing it.
    ///
    /// - Returns: whether applying it would change anything (a no-op need not be journaled).
    /// - Throws: the error ``apply(_:)`` would throw.
    public func validate(_ mutation: Mutation) throws(FailoverError) -> Bool {
        if case .nothing = try resolve(mutation) { return false }
        return true
    }

    /// Applies `mutation` or throws and changes nothing.
    ///
    /// A mutation that changes something bumps the serial; one that changes nothing (an identical app,
    /// an update that sets what is already there, a cancel with nothing pending) returns no events.
    /// `statusChanged` events come last, one per app whose status flipped.
    @discardableResult
    public mutating func apply(_ mutation: Mutation) throws(FailoverError) -> [ModelEvent] {
        var undo = Undo()
        return try apply(mutation, recordingInto: &undo)
    }

    /// Applies `mutation` like ``apply(_:)`` and records in `undo` what it
    /// overwrote, so a batch of mutations can be taken back with ``revert(_:)``.
    @discardableResult
    public mutating func apply(_ mutation: Mutation, recordingInto undo: inout Undo) throws(FailoverError)
        -> [ModelEvent]
    {
        let change = try resolve(mutation)
        if case .nothing = change { return [] }
        if undo.serial == nil { undo.serial = serial }
        switch change {
        case .nothing:
            return []
        case .putApp(let app):
            remember(app: app.id, in: &undo)
            putApp(app)
            bumpSerial()
            return [.appChanged(app)]
        case .removeApp(let id):
            remember(app: id, in: &undo)
            removeApp(id)
            bumpSerial()
            return [.appRemoved(id)]
        case .setGroup(let old, let new, var events):
            let touched = Self.apps(of: old, new)
            let before = touched.map { state(of: $0) }
            remember(group: new.address, in: &undo)
            setGroup(new)
            bumpSerial()
            events += statusEvents(touched, before)
            return events
        case .deleteGroup(let group):
            let touched = Self.apps(of: group, nil)
            let before = touched.map { state(of: $0) }
            remember(group: group.address, in: &undo)
            removeGroup(group.address)
            if !tombstones.contains(group.address) { undo.tombstones.append(group.address) }
            addTombstone(group.address)
            bumpSerial()
            return [.groupDeleted(group.address)] + statusEvents(touched, before)
        }
    }

    private static func apps(of old: Group?, _ new: Group?) -> [AppID] {
        let all = [old?.primary, old?.backup, new?.primary, new?.backup].compactMap { $0 }
        return Array(Set(all)).sorted()
    }

    private func statusEvents(_ apps: [AppID], _ before: [AppState]) -> [ModelEvent] {
        zip(apps, before).compactMap { app, old in
            let new = state(of: app)
            return old == new ? nil : .statusChanged(app: app, old: old, new: new)
        }
    }

    // MARK: Validation

    private func resolve(_ mutation: Mutation) throws(FailoverError) -> Change {
        switch mutation {
        case .appPut(let app):
            if let slot = appStore.slot(of: app.id), appStore.holds(app, at: slot) { return .nothing }
            return .putApp(app)

        case .appRemove(let id):
            guard apps[id] != nil else { throw .notFound("app \(quoted(id.rawValue)) does not exist") }
            let users = groups(referencing: id)
            guard users.isEmpty else {
                let list = users.prefix(5).map { "\($0.address)" }.joined(separator: ", ")
                throw .inUse(
                    "app \(quoted(id.rawValue)) is still in \(users.count) group(s) (\(list)"
                        + "\(users.count > 5 ? ", ..." : "")); clear it from them with group.update first"
                )
            }
            return .removeApp(id)

        case .groupCreate(let address, let primary, let backup, let now, let policy):
            guard groups[address] == nil else { throw .conflict("group \(address) already exists") }
            guard !tombstones.contains(address) else {
                throw .conflict("address \(address) belonged to a deleted group and is never reused")
            }
            try requireApps(primary, backup)
            let group = Group(address: address, primary: primary, backup: backup, created: now, updated: now,
                              policy: policy ?? .default)
            return .setGroup(old: nil, new: group, events: [.groupChanged(group)])

        case .groupUpdate(let address, let primaryChange, let backupChange, let ifVersion, let now, let policy):
            let old = try requireGroup(address)
            if let ifVersion, ifVersion != old.version {
                throw .conflict(
                    "group \(address) is at version \(old.version), not \(ifVersion); read it again and retry"
                )
            }
            var new = old
            new.primary = primaryChange.applied(to: old.primary)
            new.backup = backupChange.applied(to: old.backup)
            try requireApps(new.primary, new.backup)
            if let policy { new.policy = policy }
            guard new.primary != old.primary || new.backup != old.backup || new.policy != old.policy else {
                return .nothing
            }
            new.version += 1
            new.updated = now
            var events: [ModelEvent] = []
            if let pending = old.pending, new.app(for: pending.to) == nil {
                new.pending = nil
                events.append(.switchCancelled(new, cancelled: pending))
            }
            events.insert(.groupChanged(new), at: 0)
            return .setGroup(old: old, new: new, events: events)

        case .groupSwitch(let address, let to, let due, let requestedAt, let requestedBy):
            let old = try requireGroup(address)
            try Self.validateSwitchTimes(due: due, requestedAt: requestedAt)
            try Self.validateRequestedBy(requestedBy)
            var new = old
            new.version += 1
            new.updated = requestedAt
            if to == old.active {
                guard let pending = old.pending else { return .nothing }
                new.pending = nil
                return .setGroup(old: old, new: new, events: [.switchCancelled(new, cancelled: pending)])
            }
            guard old.app(for: to) != nil else {
                throw .conflict("group \(address) has no \(to.rawValue) app; set one with group.update first")
            }
            if due <= requestedAt {
                new.active = to
                new.pending = nil
                return .setGroup(old: old, new: new, events: [.switchDone(new, reason: .manual)])
            }
            let pending = PendingSwitch(to: to, due: due, requestedAt: requestedAt, requestedBy: requestedBy)
            guard pending != old.pending else { return .nothing }
            new.pending = pending
            return .setGroup(old: old, new: new, events: [.switchScheduled(new)])

        case .groupCancel(let address, let now):
            let old = try requireGroup(address)
            guard let pending = old.pending else { return .nothing }
            var new = old
            new.pending = nil
            new.version += 1
            new.updated = now
            return .setGroup(old: old, new: new, events: [.switchCancelled(new, cancelled: pending)])

        case .groupDelete(let address):
            let old = try requireGroup(address)
            guard old.isEmpty else {
                let held = [old.primary.map { "primary \($0)" }, old.backup.map { "backup \($0)" }]
                    .compactMap { $0 }.joined(separator: " and ")
                throw .inUse("group \(address) still holds \(held); clear them with group.update first")
            }
            return .deleteGroup(old)

        case .switchApply(let address, let expectedDue, let now):
            let old = try requireGroup(address)
            guard let pending = old.pending, pending.due == expectedDue else {
                throw .conflict("group \(address) no longer has the switch due at \(expectedDue) ms pending")
            }
            var new = old
            new.active = pending.to
            new.pending = nil
            new.version += 1
            new.updated = now
            return .setGroup(old: old, new: new, events: [.switchDone(new, reason: .scheduled)])

        case .healthSwitch(let address, let to, let expectedVersion, let now):
            let old = try requireGroup(address)
            guard old.version == expectedVersion, old.pending == nil else {
                throw .conflict("group \(address) changed since the health policy looked at it; it decides again")
            }
            guard old.active != to else { return .nothing }
            guard old.app(for: to) != nil else { throw .conflict("group \(address) has no \(to.rawValue) app") }
            var new = old
            new.active = to
            new.version += 1
            new.updated = now
            return .setGroup(old: old, new: new, events: [.switchDone(new, reason: .health)])
        }
    }

    private func requireGroup(_ address: GroupAddress) throws(FailoverError) -> Group {
        guard let group = groups[address] else { throw .notFound("group \(address) does not exist") }
        return group
    }

    private func requireApps(_ primary: AppID?, _ backup: AppID?) throws(FailoverError) {
        for id in [primary, backup].compactMap({ $0 }) where apps[id] == nil {
            throw .notFound("app \(quoted(id.rawValue)) does not exist; create it with app.put first")
        }
        if let primary, primary == backup {
            throw .conflict("app \(quoted(primary.rawValue)) cannot be both primary and backup of a group")
        }
    }

    private static func validateSwitchTimes(due: Int64, requestedAt: Int64) throws(FailoverError) {
        guard due >= requestedAt else { throw .badRequest("a switch cannot be due before it is requested") }
        guard due - requestedAt <= maxSwitchDelay else {
            throw .badRequest("switch delay is over 7 days (\(maxSwitchDelay / 1000) seconds)")
        }
    }

    /// Throws `bad_request` unless `note` is nil or at most 200 characters without control characters.
    public static func validateRequestedBy(_ note: String?) throws(FailoverError) {
        guard let note else { return }
        guard note.unicodeScalars.count <= PendingSwitch.maxRequestedByLength else {
            throw .badRequest("requested_by is over \(PendingSwitch.maxRequestedByLength) characters")
        }
        guard !note.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .badRequest("requested_by contains a control character")
        }
    }
}
