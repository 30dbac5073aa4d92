import Testing

@testable import FailoverDaemon

/// The wait policy fed arrival timestamps: a steady stream of queries at a
/// given rate, read the way a worker reads them (everything that arrived by
/// the time it reads, then answering takes `service` per query, then the wait).
@Suite struct BatchWaitPolicyTests {
    struct Step {
        let received: Int
        let wait: UInt64
    }

    /// Serves arrivals (nanosecond timestamps) with the policy; returns each read's size and the wait after it.
    static func serve(_ arrivals: [UInt64], budgetMicroseconds: Int, capacity: Int = 128,
                      service: UInt64 = 6_000) -> [Step] {
        var policy = BatchWaitPolicy(budgetMicroseconds: budgetMicroseconds, capacity: capacity)
        var steps: [Step] = []
        var next = 0
        var clock: UInt64 = 0
        while next < arrivals.count {
            clock = max(clock, arrivals[next])  // blocked until the next query arrives
            var end = next
            while end < arrivals.count, arrivals[end] <= clock, end - next < capacity { end += 1 }
            let received = end - next
            let readAt = clock
            clock += UInt64(received) * service
            let wait = policy.wait(afterReading: received, at: readAt, now: clock)
            steps.append(Step(received: received, wait: wait))
            clock += wait
            next = end
        }
        return steps
    }

    static func steady(perSecond rate: UInt64, seconds: Double) -> [UInt64] {
        let gap = 1_000_000_000 / rate
        return (0..<Int(Double(rate) * seconds)).map { UInt64($0) * gap }
    }

    @Test("At 60k q/s it waits, never longer than the budget, and batches grow")
    func waitsUnderLoad() {
        let steps = Self.serve(Self.steady(perSecond: 60_000, seconds: 0.2), budgetMicroseconds: 100)
        #expect(steps.allSatisfy { $0.wait <= 100_000 })
        let settled = steps.suffix(steps.count / 2)
        #expect(settled.filter { $0.wait > 0 }.count > settled.count * 9 / 10)
        let average = Double(settled.map(\.received).reduce(0, +)) / Double(settled.count)
        #expect(average >= 5, "average batch \(average)")
    }

    @Test("At 5k q/s (one query per 200 µs) it never waits: fewer than two would arrive within the budget")
    func lightTrafficIsAnsweredAtOnce() {
        let steps = Self.serve(Self.steady(perSecond: 5_000, seconds: 0.2), budgetMicroseconds: 100)
        #expect(steps.allSatisfy { $0.wait == 0 && $0.received == 1 })
    }

    @Test("A budget of 0 never waits, whatever the rate")
    func zeroBudgetNeverWaits() {
        let steps = Self.serve(Self.steady(perSecond: 200_000, seconds: 0.05), budgetMicroseconds: 0)
        #expect(steps.allSatisfy { $0.wait == 0 })
    }

    @Test("A full batch is followed by reading again at once")
    func fullBatch() {
        var policy = BatchWaitPolicy(budgetMicroseconds: 1_000, capacity: 8)
        // Dense traffic: 8 queries every 40 µs, so the average says "coming".
        var time: UInt64 = 0
        for _ in 0..<20 {
            time += 40_000
            _ = policy.wait(afterReading: 4, at: time, now: time + 1_000)
        }
        #expect(policy.wait(afterReading: 4, at: time + 40_000, now: time + 41_000) > 0)
        #expect(policy.wait(afterReading: 8, at: time + 80_000, now: time + 81_000) == 0)
    }

    @Test("The wait aims at a batch of `target` queries: at a high rate it is shorter than the budget")
    func waitShrinksWithRate() {
        let steps = Self.serve(Self.steady(perSecond: 400_000, seconds: 0.05), budgetMicroseconds: 1_000, service: 1_000)
        let waits = steps.suffix(steps.count / 2).map(\.wait).filter { $0 > 0 }
        #expect(!waits.isEmpty)
        // 32 queries at 2.5 µs apart: about 80 µs, far below the 1 ms budget.
        #expect(waits.allSatisfy { $0 < 200_000 }, "\(waits.prefix(5))")
    }

    @Test("In a lull it stops waiting within a few queries; the wait comes back with the traffic")
    func lullThenTraffic() {
        let busy = Self.steady(perSecond: 60_000, seconds: 0.05)
        let quiet = (1...20).map { busy.last! + UInt64($0) * 10_000_000 }  // 100 q/s for 0.2 s
        let again = Self.steady(perSecond: 60_000, seconds: 0.05).map { $0 + quiet.last! + 1_000_000 }
        let steps = Self.serve(busy + quiet + again, budgetMicroseconds: 100)
        // The 20 quiet queries (one each 10 ms) come after the busy batches; from the fourth on, none waits.
        let busyBatches = Self.serve(busy, budgetMicroseconds: 100).count
        #expect(steps[(busyBatches + 3)..<(busyBatches + 20)].allSatisfy { $0.wait == 0 && $0.received == 1 })
        #expect(steps.suffix(20).contains { $0.wait > 0 })
    }
}
