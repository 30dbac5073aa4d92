#if canImport(Glibc)
import Glibc
#endif

/// A mutex and condition variable whose timed wait runs on CLOCK_MONOTONIC,
/// guarding a value that is reached only with the mutex held.
///
/// Foundation's `NSCondition.wait(until:)` waits for an absolute
/// CLOCK_REALTIME instant (strace: FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME),
/// so when the wall clock is stepped back by N seconds during the wait, the
/// kernel moves the wake-up N seconds later too. A scheduler that promises to
/// re-read the wall clock every second must sleep on a clock that is never
/// stepped.
// Unchecked: a lock. `state` is read and written only between pthread_mutex_lock and unlock.
final class MonotonicCondition<State: Sendable>: @unchecked Sendable {
    /// What a waiting body asks for: return a value, or wait (at most so many seconds) and run again.
    enum Step<Result> {
        case done(Result)
        case wait(seconds: Double)
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var state: State

    init(_ state: State) {
        self.state = state
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` on the state with the mutex held, then wakes every waiter.
    func withLockAndBroadcast<Result>(_ body: (inout State) -> Result) -> Result {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        return body(&state)
    }

    /// Runs `body` on the state with the mutex held.
    func withLock<Result>(_ body: (inout State) -> Result) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body(&state)
    }

    /// Runs `body` with the mutex held until it is done; each time it asks to wait, sleeps (the mutex
    /// released) until a broadcast or until the seconds have passed on the monotonic clock.
    func waitUntilDone<Result>(_ body: (inout State) -> Step<Result>) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            switch body(&state) {
            case .done(let result): return result
            case .wait(let seconds): wait(seconds: seconds)
            }
        }
    }

    private func wait(seconds: Double) {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let nanoseconds = Int(max(0, seconds) * 1_000_000_000)
        deadline.tv_sec += nanoseconds / 1_000_000_000
        deadline.tv_nsec += nanoseconds % 1_000_000_000
        if deadline.tv_nsec >= 1_000_000_000 {
            deadline.tv_sec += 1
            deadline.tv_nsec -= 1_000_000_000
        }
        _ = pthread_cond_timedwait(condition, mutex, &deadline)
    }
}
