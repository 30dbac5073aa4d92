import QueryEngine
import Testing

/// The pending-switch TTL against a cache that keeps time in whole seconds.
@Suite struct CountdownTTLTests {
    /// A cache like Unbound: it stores the whole second it fetched at plus the
    /// TTL, and answers from the record while its clock's second is not past
    /// that, so it holds a record until the start of second `stored + TTL + 1`.
    /// Returns that instant (ms on the daemon's clock) for a fetch at `now`
    /// by a cache whose seconds start `phase` ms after the daemon's; a TTL of
    /// 0 is not cached.
    static func heldUntil(fetchedAt now: Int64, ttl: UInt32, phase: Int64) -> Int64 {
        guard ttl > 0 else { return now }
        let storedSecond = (now - phase).floorDivided(by: 1000)
        return (storedSecond + Int64(ttl) + 1) * 1000 + phase
    }

    @Test("every fetch before due expires from a whole-second cache by the due time, whatever its clock phase")
    func wholeSecondCachesExpireByDue() {
        let configured: UInt32 = 30
        let due: Int64 = 1_800_000_000_000
        // Every ms of the 40 s before due (past the 30 s TTL), and phases of the cache's clock 37 ms apart.
        for remaining in stride(from: Int64(40_000), through: 1, by: -1) {
            let now = due - remaining
            let ttl = QueryEngine.groupTTL(configured: configured, due: due, now: now)
            for phase in stride(from: Int64(0), to: 1000, by: 37) {
                let held = Self.heldUntil(fetchedAt: now, ttl: ttl, phase: phase)
                guard held <= due else {
                    Issue.record("fetched \(remaining) ms before due with TTL \(ttl), held \(held - due) ms past due (phase \(phase) ms)")
                    return
                }
            }
            // No lower than needed: one second more would break the bound for some phase.
            #expect(ttl == configured || Self.heldUntil(fetchedAt: now, ttl: ttl + 1, phase: now % 1000) > due,
                    "TTL \(ttl) \(remaining) ms before due is lower than needed")
        }
    }
}

extension Int64 {
    /// Division rounding toward minus infinity.
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
