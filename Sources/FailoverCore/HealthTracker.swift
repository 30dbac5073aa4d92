/// The rise/fall counter of one checker for one app: turns rounds of checks into a verdict.
///
/// A round passes when at least one address of the web head passes. From `unknown` or `down`, `rise` passing
/// rounds in a row make the app `up`; from `unknown` or `up`, `fall` failing rounds in a row make it `down`.
public struct HealthTracker: Sendable, Hashable {
    public private(set) var state: HealthState = .unknown
    /// When `state` last changed (ms since the epoch); nil while unknown.
    public private(set) var since: Int64?
    /// Rounds in a row that agree with each other but not (yet) with `state`.
    private var streak = 0
    private var streakPassing = false

    public init() {}

    /// Counts one round; returns true when the state changed.
    @discardableResult
    public mutating func record(passed: Bool, fall: Int, rise: Int, at now: Int64) -> Bool {
        if streak > 0, streakPassing == passed {
            streak += 1
        } else {
            streak = 1
            streakPassing = passed
        }
        let target: HealthState = passed ? .up : .down
        guard state != target else {
            streak = 0
            return false
        }
        guard streak >= (passed ? rise : fall) else { return false }
        state = target
        since = now
        streak = 0
        return true
    }
}
