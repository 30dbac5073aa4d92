import DNSWire
import NIOConcurrencyHelpers

/// Recent changes as IXFR deltas (RFC 1995), newest last. Bounded: older
/// deltas are dropped and a secondary that far behind gets a full transfer.
public final class TransferLog: Sendable {
    public struct Delta: Sendable, Equatable {
        public var from: UInt32
        public var to: UInt32
        public var removed: [ResourceRecord]
        public var added: [ResourceRecord]

        public init(from: UInt32, to: UInt32, removed: [ResourceRecord], added: [ResourceRecord]) {
            self.from = from
            self.to = to
            self.removed = removed
            self.added = added
        }
    }

    /// The deltas, oldest first, and how many records they hold.
    private struct History {
        var deltas: [Delta] = []
        var records = 0
    }

    private let history = NIOLockedValueBox(History())
    /// Most records kept across all deltas: the memory bound (a record here
    /// is a few hundred bytes, so the default is some tens of MB).
    public let recordLimit: Int

    public init(recordLimit: Int = 200_000) {
        self.recordLimit = recordLimit
    }

    public func append(from: UInt32, to: UInt32, removed: [ResourceRecord], added: [ResourceRecord]) {
        history.withLockedValue { history in
            if let last = history.deltas.last, last.to != from {
                // A gap (should not happen): history before it is useless.
                history = History()
            }
            history.deltas.append(Delta(from: from, to: to, removed: removed, added: added))
            history.records += removed.count + added.count
            while history.records > recordLimit, !history.deltas.isEmpty {
                let dropped = history.deltas.removeFirst()
                history.records -= dropped.removed.count + dropped.added.count
            }
        }
    }

    /// Forgets everything (the static zone changed: only AXFR is exact).
    public func reset() {
        history.withLockedValue { $0 = History() }
    }

    /// The deltas leading from `serial` to `current`, or nil when the log
    /// does not reach back that far.
    public func deltas(from serial: UInt32, to current: UInt32) -> [Delta]? {
        history.withLockedValue { history in
            guard let start = history.deltas.firstIndex(where: { $0.from == serial }) else { return nil }
            let chain = Array(history.deltas[start...])
            guard chain.last?.to == current else { return nil }
            return chain
        }
    }

    public var count: Int { history.withLockedValue { $0.deltas.count } }

    /// Every delta held, oldest first (to save them across a restart).
    public var all: [Delta] { history.withLockedValue { $0.deltas } }

    /// Replaces the history with `saved` (oldest first), within the record limit.
    public func restore(_ saved: [Delta]) {
        reset()
        for delta in saved { append(from: delta.from, to: delta.to, removed: delta.removed, added: delta.added) }
    }
}
