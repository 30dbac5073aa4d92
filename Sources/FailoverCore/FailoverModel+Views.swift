extension FailoverModel {
    /// The model's apps read like a dictionary by id; each value is built
    /// from the packed store when read. Iteration is in no particular order.
    public struct Apps: Sequence, Sendable {
        let store: AppStore

        public var count: Int { store.count }
        public var isEmpty: Bool { store.count == 0 }

        public subscript(id: AppID) -> App? {
            guard let slot = store.slot(of: id) else { return nil }
            return store.app(at: slot)
        }

        public var values: some Sequence<App> { store.appSlots.map { store.app(at: $0)! } }
        public var keys: some Sequence<AppID> { store.appSlots.map { store.id(at: $0) } }

        public func makeIterator() -> some IteratorProtocol<(key: AppID, value: App)> {
            let store = store
            return store.appSlots.map { (key: store.id(at: $0), value: store.app(at: $0)!) }.makeIterator()
        }
    }

    /// The model's groups read like a dictionary by address; each value is
    /// built from the packed store when read. Iteration is in no particular order.
    public struct Groups: Sequence, Sendable {
        let apps: AppStore
        let groups: GroupStore

        public var count: Int { groups.count }
        public var isEmpty: Bool { groups.count == 0 }

        public subscript(address: GroupAddress) -> Group? {
            guard let row = groups.row(of: address) else { return nil }
            return group(at: row)
        }

        public var values: some Sequence<Group> { groups.liveRows.map { group(at: $0) } }
        public var keys: some Sequence<GroupAddress> {
            groups.liveRows.map { GroupAddress(value: groups.rows[$0].address)! }
        }

        public func makeIterator() -> some IteratorProtocol<(key: GroupAddress, value: Group)> {
            values.map { (key: $0.address, value: $0) }.makeIterator()
        }

        func group(at row: Int) -> Group {
            let fields = groups.rows[row]
            let times = groups.times(of: row)
            func app(_ slot: UInt32) -> AppID? { slot == 0 ? nil : apps.id(at: Int(slot) - 1) }
            return Group(address: GroupAddress(value: fields.address)!, primary: app(fields.primary),
                         backup: app(fields.backup), active: fields.active, pending: groups.pending(of: row),
                         version: groups.version(of: row), created: times.created, updated: times.updated,
                         policy: groups.policy(of: row))
        }
    }
}
