import DNSWire
import Foundation

/// Recent changes as IXFR deltas (RFC 1995), newest last. Bounded: older
/// deltas are dropped and a secondary that far behind gets a full transfer.
public final class TransferLog: @unchecked Sendable {
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

    private let lock = NSLock()
    private var deltas: [Delta] = []
    private var records = 0
    /// Most records kept across all deltas: the memory bound (a record here
    /// is a few hundred bytes, so the default is some tens of MB).
    public let recordLimit: Int

    public init(recordLimit: Int = 200_000) {
        self.recordLimit = recordLimit
    }

    public func append(from: UInt32, to: UInt32, removed: [ResourceRecord], added: [ResourceRecord]) {
        lock.withLock {
            if let last = deltas.last, last.to != from {
                // A gap (should not happen): history before it is useless.
                deltas.removeAll()
                records = 0
            }
            deltas.append(Delta(from: from, to: to, removed: removed, added: added))
            records += removed.count + added.count
            while records > recordLimit, !deltas.isEmpty {
                let dropped = deltas.removeFirst()
                records -= dropped.removed.count + dropped.added.count
            }
        }
    }

    /// Forgets everything (the static zone changed: only AXFR is exact).
    public func reset() {
        lock.withLock {
            deltas.removeAll()
            records = 0
        }
    }

    /// The deltas leading from `serial` to `current`, or nil when the log
    /// does not reach back that far.
    public func deltas(from serial: UInt32, to current: UInt32) -> [Delta]? {
        lock.withLock {
            guard let start = deltas.firstIndex(where: { $0.from == serial }) else { return nil }
            let chain = Array(deltas[start...])
            guard chain.last?.to == current else { return nil }
            return chain
        }
    }

    public var count: Int { lock.withLock { deltas.count } }

    /// Every delta held, oldest first (to save them across a restart).
    public var all: [Delta] { lock.withLock { deltas } }

    /// Replaces the history with `saved` (oldest first), within the record limit.
    public func restore(_ saved: [Delta]) {
        reset()
        for delta in saved { append(from: delta.from, to: delta.to, removed: delta.removed, added: delta.added) }
    }
}
