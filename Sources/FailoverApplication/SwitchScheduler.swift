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
public final class SwitchScheduler: Sendable {
    /// Longest sleep before the wall clock is read again (bounds the effect
    /// of a clock step on an already computed sleep).
    static let maxSleep: Double = 1.0

    private struct State: Sendable {
        var queue = DeadlineQueue<GroupAddress>()
        var running = false
    }

    /// Sleeps on CLOCK_MONOTONIC: a stepped wall clock cannot stretch a sleep.
    private let condition = MonotonicCondition(State())
    private let clock: @Sendable () -> Int64
    private let onDue: @Sendable ([(due: Int64, key: GroupAddress)]) -> Void

    public init(clock: @escaping @Sendable () -> Int64 = WallClock.preciseMilliseconds,
                onDue: @escaping @Sendable ([(due: Int64, key: GroupAddress)]) -> Void) {
        self.clock = clock
        self.onDue = onDue
    }

    public func start() {
        condition.withLock { $0.running = true }
        let thread = Thread { [self] in loop() }
        thread.name = "switch-scheduler"
        thread.start()
    }

    public func stop() {
        condition.withLockAndBroadcast { $0.running = false }
    }

    /// Sets (or with nil, removes) the due time of a group's pending switch.
    public func set(_ address: GroupAddress, due: Int64?) {
        condition.withLockAndBroadcast { state in
            if let due {
                state.queue.insert(address, due: due)
            } else {
                _ = state.queue.remove(address)
            }
        }
    }

    public var pendingCount: Int {
        condition.withLock { $0.queue.count }
    }

    private func loop() {
        while let due = nextDue() { onDue(due) }
    }

    /// Sleeps until some switches are due and takes them from the queue; nil once stopped.
    private func nextDue() -> [(due: Int64, key: GroupAddress)]? {
        condition.waitUntilDone { state in
            guard state.running else { return .done(nil) }
            let now = clock()
            let due = state.queue.popDue(atOrBefore: now)
            if !due.isEmpty { return .done(due) }
            var sleep = Self.maxSleep
            if let next = state.queue.first {
                sleep = min(sleep, Double(next.due - now) / 1000)
            }
            return .wait(seconds: max(0.0005, sleep))
        }
    }
}
