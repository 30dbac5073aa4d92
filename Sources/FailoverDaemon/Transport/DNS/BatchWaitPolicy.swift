/// When a UDP worker waits before reading again: interrupt moderation with a
/// latency budget. A pure value (time comes in as arguments), one per worker.
///
/// It keeps a moving average of the time between arriving queries, measured
/// over the reads (time since the previous read / queries read). After a
/// partial batch it waits only while that rate says more queries are coming
/// soon: long enough for the next batch to hold `target` queries, never longer
/// than the budget, and not at all when fewer than two would arrive within the
/// budget (waiting would then save no wakeup, only add latency): light traffic
/// is answered at once. A full batch and a budget of 0 mean: read again at once.
public struct BatchWaitPolicy: Sendable {
    /// Queries a batch should hold for its fixed cost (the worker's wakeup, a
    /// wakeup of the client per reply batch) to be small beside the per-query
    /// cost: on loopback about 16 µs a batch against 6 µs a query, so 32
    /// queries bring it under 10%.
    public static let target: UInt64 = 32
    /// Weight of a new sample in the average, as a shift (1/4): it follows a
    /// change of rate within a few batches (under a ms at 60k q/s).
    static let weightShift: UInt64 = 2

    /// Longest wait, in nanoseconds (0: never wait).
    public let budget: UInt64
    /// Datagrams one read can take; a full read means more are queued.
    public let capacity: Int
    /// Average nanoseconds between arriving queries; starts at "slow".
    public private(set) var interval: UInt64
    private var previousRead: UInt64?

    public init(budgetMicroseconds: Int, capacity: Int) {
        budget = UInt64(max(0, budgetMicroseconds)) * 1_000
        self.capacity = capacity
        interval = budget
    }

    /// Records a read of `received` queries at `readAt` and returns how many
    /// nanoseconds to wait at `now` (after answering them) before reading again.
    public mutating func wait(afterReading received: Int, at readAt: UInt64, now: UInt64) -> UInt64 {
        guard budget > 0, received > 0 else { return 0 }
        if let previousRead, readAt > previousRead {
            // A sample longer than the budget already says "do not wait"; capping it
            // lets the average recover within a few batches when traffic comes back after a lull.
            let sample = min(budget, (readAt - previousRead) / UInt64(received))
            interval = interval - (interval >> Self.weightShift) + (sample >> Self.weightShift)
        }
        previousRead = readAt
        guard received < capacity else { return 0 }
        // Fewer than two more queries expected within the budget: waiting saves nothing.
        guard 2 * interval <= budget else { return 0 }
        // Queries that arrived while this batch was answered count toward the target.
        let spent = now > readAt ? now - readAt : 0
        let wanted = Self.target * interval
        guard wanted > spent else { return 0 }
        let wait = min(budget, wanted - spent)
        // Less than one query's worth of waiting gathers nothing.
        return wait >= interval ? wait : 0
    }
}
