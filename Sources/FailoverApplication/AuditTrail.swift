import Dispatch
import FailoverCore
import Logging
import Synchronization

/// Writes one info line per change a control client made, naming the peer's user, uid and pid in the message
/// and in the journal fields USER=, UID=, PID= (and GROUP= for a group): `journalctl -u failoverd UID=1000`.
///
/// The lines are written on a queue of their own: formatting and sending one costs several microseconds,
/// as much as the rest of a commit at tens of thousands of changes a second, and the commit path only hands
/// them over. Lines keep the commit order.
final class AuditTrail: Sendable {
    /// Lines handed over but not yet written, at most: past it a batch waits for the queue to take its lines
    /// (back-pressure, so memory stays bounded when the log is slower than the commits). 65,536 lines are
    /// under two seconds of changes at 40,000 a second, and a few MiB.
    static let backlogLimit = 65_536

    private let logger: Logger
    private let queue = DispatchQueue(label: "failoverd.audit")
    private let backlog = Atomic<Int>(0)

    init(logger: Logger) {
        self.logger = logger
    }

    /// Logs the changes of a durable batch that have an author (parallel arrays).
    func record(_ mutations: [Mutation], by authors: [ChangeAuthor?]) {
        guard logger.logLevel <= .info else { return }
        let entries = zip(mutations, authors).compactMap { mutation, author in author.map { (mutation, $0) } }
        guard !entries.isEmpty else { return }
        let queued = backlog.add(entries.count, ordering: .relaxed).newValue
        let work: @Sendable () -> Void = { [self] in
            for (mutation, author) in entries {
                var metadata = author.metadata
                if let group = mutation.auditGroup { metadata["group"] = "\(group)" }
                logger.info("change by \(author.name) (uid \(author.uid), pid \(author.pid)): \(mutation.auditSummary)",
                            metadata: metadata)
            }
            backlog.subtract(entries.count, ordering: .relaxed)
        }
        if queued > Self.backlogLimit {
            queue.sync(execute: work)
        } else {
            queue.async(execute: work)
        }
    }

    /// Waits until every line handed over is written (a clean stop, tests).
    func drain() {
        queue.sync {}
    }
}
