import FailoverCore
import Foundation
import Testing

@testable import FailoverApplication

/// The scheduler on an injected wall clock, moved forwards and backwards.
@Suite struct SwitchSchedulerTests {
    final class ManualWallClock: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Int64
        init(_ value: Int64) { self.value = value }
        var now: Int64 { lock.withLock { value } }
        func set(_ new: Int64) { lock.withLock { value = new } }
    }

    final class Fired: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [(GroupAddress, Int64)] = []
        func add(_ more: [(due: Int64, key: GroupAddress)]) { lock.withLock { items += more.map { ($0.key, $0.due) } } }
        var addresses: [GroupAddress] { lock.withLock { items.map(\.0) } }
    }

    func waitFor(_ condition: () -> Bool, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    @Test func switchesFireWhenTheWallClockReachesTheirDueTimeEvenAfterJumps() throws {
        let clock = ManualWallClock(1_000_000)
        let fired = Fired()
        let scheduler = SwitchScheduler(clock: { clock.now }, onDue: { fired.add($0) })
        scheduler.start()
        defer { scheduler.stop() }
        let first = try GroupAddress("000-000-001")
        let second = try GroupAddress("000-000-002")
        scheduler.set(first, due: 1_060_000)  // due in a minute of wall-clock time
        scheduler.set(second, due: 1_120_000)

        #expect(!waitFor({ !fired.addresses.isEmpty }, seconds: 1.3), "nothing is due yet")
        // The clock is stepped forward past the first due time: it fires within the 1 s re-read.
        clock.set(1_090_000)
        #expect(waitFor({ fired.addresses == [first] }, seconds: 1.5))
        // Stepped back: the second, due at 1_120_000 on the wall clock, must not fire early.
        clock.set(900_000)
        #expect(!waitFor({ fired.addresses.count > 1 }, seconds: 1.3))
        clock.set(1_120_000)
        #expect(waitFor({ fired.addresses == [first, second] }, seconds: 1.5))
        #expect(scheduler.pendingCount == 0)
    }

    @Test func replacingAndRemovingPendingSwitches() throws {
        let clock = ManualWallClock(0)
        let fired = Fired()
        let scheduler = SwitchScheduler(clock: { clock.now }, onDue: { fired.add($0) })
        scheduler.start()
        defer { scheduler.stop() }
        let address = try GroupAddress("123-456-789")
        scheduler.set(address, due: 500)
        scheduler.set(address, due: 5_000)  // replaced: later
        clock.set(1_000)
        #expect(!waitFor({ !fired.addresses.isEmpty }, seconds: 1.2))
        scheduler.set(address, due: nil)  // cancelled
        clock.set(10_000)
        #expect(!waitFor({ !fired.addresses.isEmpty }, seconds: 1.2))
        #expect(scheduler.pendingCount == 0)
    }
}
