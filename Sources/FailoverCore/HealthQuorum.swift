/// Combines the verdicts of several checkers (the daemon's own and external ones reported with
/// `app.report_health`) into one: an app is `up` or `down` only when enough fresh verdicts agree.
///
/// `required` nil means a strict majority of the fresh, known verdicts; so one checker alone decides only when
/// it is the only one, and a tie (one down, one up) is `unknown`: no host's view fails a group over alone.
public struct HealthQuorum: Sendable, Hashable {
    /// Verdicts needed; nil: a majority of the fresh ones.
    public var required: Int?

    public init(required: Int? = nil) {
        self.required = required.map { max(1, $0) }
    }

    /// The combined state of `verdicts` (unknown ones are left out: they have no view).
    public func verdict(_ verdicts: some Sequence<HealthState>) -> HealthState {
        var up = 0
        var down = 0
        for verdict in verdicts {
            switch verdict {
            case .up: up += 1
            case .down: down += 1
            case .unknown: break
            }
        }
        let needed = required ?? ((up + down) / 2 + 1)
        guard up + down > 0 else { return .unknown }
        if down >= needed, down > up { return .down }
        if up >= needed, up > down { return .up }
        return .unknown
    }
}
