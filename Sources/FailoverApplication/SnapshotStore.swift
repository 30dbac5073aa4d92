import Atomics
import ZoneData

extension ZoneSnapshot: AtomicReference {}

/// Holds the current snapshot. Readers take it with one atomic load; a
/// writer publishes the next one with one atomic store. No locks.
public final class SnapshotStore: Sendable {
    private let current: ManagedAtomic<ZoneSnapshot>

    public init(_ snapshot: ZoneSnapshot) {
        current = ManagedAtomic(snapshot)
    }

    @inline(__always)
    public func load() -> ZoneSnapshot { current.load(ordering: .acquiring) }

    public func publish(_ snapshot: ZoneSnapshot) { current.store(snapshot, ordering: .releasing) }
}
