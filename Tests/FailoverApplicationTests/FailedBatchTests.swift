import DNSWire
import FailoverControl
import FailoverCore
import Foundation
import Glibc
import Logging
import Synchronization
import Testing
import ZoneData

@testable import FailoverApplication

/// A batch whose fsync fails answers every request of it `unavailable`: a
/// request that changed nothing only because an earlier request of the same
/// batch had made the change must not be acknowledged once that change is
/// rolled back.
@Suite struct FailedBatchTests {
    /// Results of submitted requests, by the order they were submitted.
    final class Outcomes: Sendable {
        let results = Mutex<[Int: Result<FailoverService.Commit, FailoverError>]>([:])
        let done = DispatchSemaphore(value: 0)

        func completion(_ index: Int) -> FailoverService.Completion {
            { result in
                self.results.withLock { $0[index] = result }
                self.done.signal()
            }
        }
    }

    @Test func everyRequestOfABatchWhoseFsyncFailedIsUnavailable() throws {
        var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("failedbatch-XXXXXX").utf8CString)
        let directory = String(cString: try #require(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let failFsync = Atomic<Bool>(false)
        let io = FileIO(
            write: { fd, bytes in Glibc.write(fd, bytes.baseAddress, bytes.count) },
            fsync: { fd in
                if failFsync.load(ordering: .relaxed) {
                    errno = EIO
                    return -1
                }
                return Glibc.fsync(fd)
            })
        let zone = try DefaultZone.load(origin: try DomainName("cloud66.net"))
        let service = try FailoverService(
            stateDirectory: directory, zone: zone, ttl: 30, defaultDelaySeconds: 0,
            snapshots: SnapshotStore(ZoneSnapshot(zone: zone)), logger: Logger(label: "test"),
            clock: { 1_000 }, metrics: .disabled, compactAfter: nil, io: io)
        failFsync.store(true, ordering: .relaxed)

        // The first request holds the actor until the next two are queued, so those two form one batch.
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let outcomes = Outcomes()
        service.submit({ _, _ throws(FailoverError) in
            started.signal()
            release.wait()
            throw .badRequest("holds the actor; changes nothing")
        }, completion: outcomes.completion(0))
        started.wait()
        let app = try App(id: AppID("web"), name: "Web", webHead: .hostname(validating: "lb.example.net"))
        // The same put twice: the second changes nothing after the first, which the failed fsync rolls back.
        service.submit({ _, _ throws(FailoverError) in .appPut(app) }, completion: outcomes.completion(1))
        service.submit({ _, _ throws(FailoverError) in .appPut(app) }, completion: outcomes.completion(2))
        release.signal()
        for _ in 0..<3 { outcomes.done.wait() }

        let results = outcomes.results.withLock { $0 }
        for index in [1, 2] {
            switch results[index] {
            case .failure(let error):
                #expect(error.code == .unavailable, "request \(index): \(error)")
            case .success(let commit):
                Issue.record("request \(index) acknowledged (changed: \(commit.changed)) although its batch's fsync failed")
            case nil:
                Issue.record("request \(index) not completed")
            }
        }
        let apps = try awaitResult { try await service.read { model throws(ControlError) in model.apps.count } }
        #expect(apps == 0, "the rolled-back put left an app behind")
    }

    /// Runs an async body from a synchronous test and returns its result.
    private func awaitResult<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            box.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try box.withLock { $0! }.get()
    }
}
