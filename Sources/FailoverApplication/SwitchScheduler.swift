import FailoverCore
import Foundation

/// Fires scheduled switches at their due time: one thread sleeping on a
/// deadline queue (Knot's events loop, not a task per timer).
///
/// Due times are wall-clock instants (they survive restarts). The thread
/// sleeps at most `maxSleep` at a time and re-reads the wall clock on every
/// wake, so when the clock is stepped a switch fires when the wall clock
/// reaches its due time: at once (within `maxSleep`) after a jump forward past
/// it, later after a jump backwards. The served TTL counts down on the same
/// clock, so caches and the switch stay in step.
public final class SwitchScheduler: @unchecked Sendable {
    /// Longest sleep before the wall clock is read again (bounds the effect
    /// of a clock step on an already computed sleep).
    static let maxSleep: Double = 1.0

    /// Sleeps on CLOCK_MONOTONIC: a stepped wall clock cannot stretch a sleep.
    private let condition = MonotonicCondition()
    private var queue = DeadlineQueue<GroupAddress>()
    private var running = false
    private var thread: Thread? = nil
    private let clock: @Sendable () -> Int64
    private let onDue: @Sendable ([(due: Int64, key: GroupAddress)]) -> Void

    public init(clock: @escaping @Sendable () -> Int64 = WallClock.preciseMilliseconds,
                onDue: @escaping @Sendable ([(due: Int64, key: GroupAddress)]) -> Void) {
        self.clock = clock
        self.onDue = onDue
    }

    public func start() {
        condition.lock()
        running = true
        condition.unlock()
        let thread = Thread { [self] in loop() }
        thread.name = "switch-scheduler"
        self.thread = thread
        thread.start()
    }

    public func stop() {
        condition.lock()
        running = false
        condition.broadcast()
        condition.unlock()
    }

    /// Sets (or with nil, removes) the due time of a group's pending switch.
    public func set(_ address: GroupAddress, due: Int64?) {
        condition.lock()
        if let due {
            queue.insert(address, due: due)
        } else {
            _ = queue.remove(address)
        }
        condition.broadcast()
        condition.unlock()
    }

    public var pendingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
    }

    private func loop() {
        condition.lock()
        while running {
            let now = clock()
            let due = queue.popDue(atOrBefore: now)
            if !due.isEmpty {
                condition.unlock()
                onDue(due)
                condition.lock()
                continue
            }
            var sleep = Self.maxSleep
            if let next = queue.first {
                sleep = min(sleep, Double(next.due - now) / 1000)
            }
            condition.wait(seconds: max(0.0005, sleep))
        }
        condition.unlock()
    }
}
