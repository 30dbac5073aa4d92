import Atomics
import CNetShim
import DNSWire
import FailoverApplication
import Foundation
import Logging
import QueryEngine
import ZoneData
import ZoneTransfer

#if canImport(Glibc)
import Glibc
#endif

/// UDP serving: one thread per socket, each with its own SO_REUSEPORT socket
/// (so the kernel spreads load and no lock is shared), reading and writing in
/// batches with recvmmsg/sendmmsg. Per query it allocates nothing.
///
/// Interrupt moderation with a latency budget (``BatchWaitPolicy``): after a
/// partial batch a worker waits before reading again only while the measured
/// arrival rate says more queries are coming, and never longer than
/// `udp.latency-budget-us`, so the queries arriving meanwhile are read,
/// answered and sent together. Under load this replaces a wakeup of the
/// worker and of each client every few queries with one per batch; light
/// traffic is answered at once.
public final class UDPServer: Sendable {
    /// Datagrams taken per recvmmsg call: room for what arrives during a
    /// batch wait at a few hundred thousand queries per second.
    static let batchSize = 128
    /// Longest wait after a partial batch unless configured
    /// (`udp.latency-budget-us`): none. Measured on a quiet machine
    /// (`Benchmarks/run --groups 10000 --duration 5 --rounds 3`, 60k q/s, all
    /// servers with 4 MiB buffers and minimal answers): a 100 µs budget gave
    /// 7.63 µs a query at 0.24 ms average latency, no wait 7.23 µs at 0.10 ms,
    /// against NSD's 8.13 µs and 0.14 ms and Knot's 8.23 µs and 0.12 ms. The
    /// wait bought no CPU within the run's noise and cost latency, so it is
    /// off unless asked for.
    public static let defaultLatencyBudgetMicroseconds = 0
    /// Receive buffer asked for each socket unless configured
    /// (`udp.receive-buffer`). The usual system default (208 KiB, room for
    /// about 270 small queries counting the kernel's per-packet overhead)
    /// overflowed at the start of a 60k q/s run; 4 MiB holds tens of ms of
    /// queries at line rate. Without privilege the kernel caps it at
    /// net.core.rmem_max.
    public static let defaultReceiveBuffer = 4 << 20
    /// Upper bound for `udp.receive-buffer`: 256 MiB.
    public static let maxReceiveBuffer = 256 << 20
    /// Upper bound for `udp.latency-budget-us`: 10 ms.
    public static let maxLatencyBudgetMicroseconds = 10_000
    /// Timer slack of a worker: the kernel's default (50 µs) would stretch a
    /// 100 µs wait by half; 1 µs keeps waits to what the policy asked.
    static let timerSlackNanoseconds: UInt = 1_000
    /// Largest query accepted; longer datagrams are dropped. EDNS queries are
    /// tiny; 4096 leaves room for options.
    static let receiveBufferSize = 4096
    /// Largest response written (TCP-sized answers never go over UDP).
    static let sendBufferSize = 4096
    /// How often a blocked worker wakes up to check for shutdown.
    static let pollMilliseconds: Int32 = 200

    private let sockets: [Int32]
    private let engine: QueryEngine
    /// The slow path for queries carrying a TSIG record.
    private let signed: SignedQueryResponder
    private let store: SnapshotStore
    private let logger: Logger
    private let stopping = ManagedFlag()
    private let finished: DispatchGroup = DispatchGroup()
    public let counters: ServingCounters
    /// One counter per worker, bumped every loop turn (at least every
    /// `pollMilliseconds`): the watchdog pings only while all of them move.
    public let heartbeats: [ManagedAtomic<Int>]
    /// Test hook (debug builds): worker 0 stops making progress after this many ms.
    private let stallAfter = TestHooks.udpStallAfterMilliseconds

    private let limiter: ResponseRateLimiter?
    private let cookies: CookieStore?
    private let latencyBudgetMicroseconds: Int
    private let receiveBuffer: Int

    /// Takes ownership of bound UDP sockets.
    public init(sockets: [Int32], engine: QueryEngine, store: SnapshotStore, counters: ServingCounters,
                limiter: ResponseRateLimiter? = nil, cookies: CookieStore? = nil, tsigKeys: [TSIGKey] = [],
                latencyBudgetMicroseconds: Int = UDPServer.defaultLatencyBudgetMicroseconds,
                receiveBuffer: Int = UDPServer.defaultReceiveBuffer, logger: Logger) {
        self.signed = SignedQueryResponder(engine: engine, keys: tsigKeys)
        self.receiveBuffer = receiveBuffer
        self.latencyBudgetMicroseconds = latencyBudgetMicroseconds
        self.limiter = limiter
        self.cookies = cookies
        self.sockets = sockets
        self.engine = engine
        self.store = store
        self.counters = counters
        self.logger = logger
        self.heartbeats = sockets.map { _ in ManagedAtomic<Int>(0) }
    }

    /// Datagrams the kernel dropped because a worker's socket buffer was full
    /// (the `drops` column of /proc/self/net/udp and udp6 for our sockets):
    /// under overload the queries that cannot be read are dropped there, not queued.
    public func receiveBufferDrops() -> Int {
        var inodes = Set<UInt64>()
        for fd in sockets {
            var info = stat()
            if fstat(fd, &info) == 0 { inodes.insert(UInt64(info.st_ino)) }
        }
        var total = 0
        for file in ["/proc/self/net/udp", "/proc/self/net/udp6"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            total += Self.drops(inProcNetUDP: text, inodes: inodes)
        }
        return total
    }

    /// Sums the last column (`drops`) of the /proc/net/udp lines whose inode
    /// (the tenth column) is one of `inodes`.
    static func drops(inProcNetUDP text: String, inodes: Set<UInt64>) -> Int {
        var total = 0
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 13, let inode = UInt64(fields[9]), inodes.contains(inode),
                let drops = Int(fields[fields.count - 1])
            else { continue }
            total += drops
        }
        return total
    }

    /// Sum of heartbeats per worker, for the watchdog.
    public func heartbeatValues() -> [Int] { heartbeats.map { $0.load(ordering: .relaxed) } }

    public func start() {
        for (index, fd) in sockets.enumerated() {
            _ = fo_set_receive_timeout(fd, Self.pollMilliseconds)
            if receiveBuffer > 0 {
                let size = fo_set_receive_buffer(fd, Int32(clamping: receiveBuffer))
                if size < 0 {
                    logger.warning("UDP receive buffer of \(receiveBuffer) bytes refused: \(String(cString: strerror(-size)))")
                } else if index == 0 {
                    // The kernel reports twice what it grants (its bookkeeping counts).
                    let granted = Int(size) / 2
                    if granted < receiveBuffer {
                        logger.info("UDP receive buffer \(granted) bytes, capped by net.core.rmem_max (asked \(receiveBuffer))")
                    } else {
                        logger.debug("UDP receive buffer \(granted) bytes")
                    }
                }
            }
            finished.enter()
            let thread = Thread { [self] in
                // The kernel's thread name (top -H, /proc/PID/task/*/comm): Foundation's `name` is not it here.
                _ = fo_set_thread_name("udp-\(index)")
                self.serve(fd: fd, index: index)
                self.finished.leave()
            }
            thread.name = "udp-\(index)"
            thread.start()
        }
    }

    /// Stops the workers and waits for them; closes the sockets.
    public func stop() {
        stopping.set()
        finished.wait()
        for fd in sockets { close(fd) }
    }

    private func serve(fd: Int32, index workerIndex: Int) {
        let started = Date()
        let count = Self.batchSize
        let receiveBuffers = UnsafeMutableRawPointer.allocate(byteCount: count * Self.receiveBufferSize, alignment: 16)
        let sendBuffers = UnsafeMutableRawPointer.allocate(byteCount: count * Self.sendBufferSize, alignment: 16)
        let incoming = UnsafeMutablePointer<fo_datagram>.allocate(capacity: count)
        let outgoing = UnsafeMutablePointer<fo_datagram>.allocate(capacity: count)
        defer {
            receiveBuffers.deallocate()
            sendBuffers.deallocate()
            incoming.deallocate()
            outgoing.deallocate()
        }
        for index in 0..<count {
            incoming[index] = fo_datagram()
            incoming[index].buffer = receiveBuffers + index * Self.receiveBufferSize
            incoming[index].capacity = UInt32(Self.receiveBufferSize)
            outgoing[index] = fo_datagram()
            outgoing[index].buffer = sendBuffers + index * Self.sendBufferSize
            outgoing[index].capacity = UInt32(Self.sendBufferSize)
        }
        guard let receiveBatch = fo_batch_create(incoming, UInt32(count)),
            let sendBatch = fo_batch_create(outgoing, UInt32(count))
        else {
            logger.critical("cannot allocate UDP batches")
            return
        }
        defer {
            fo_batch_destroy(receiveBatch)
            fo_batch_destroy(sendBatch)
        }
        let scratch = QueryScratch()
        var policy = BatchWaitPolicy(budgetMicroseconds: latencyBudgetMicroseconds, capacity: count)
        _ = fo_set_timer_slack(Self.timerSlackNanoseconds)
        while !stopping.isSet {
            heartbeats[workerIndex].wrappingIncrement(ordering: .relaxed)
            if workerIndex == 0, let stallAfter, Date().timeIntervalSince(started) * 1000 > stallAfter {
                logger.warning("test hook: UDP worker 0 stalls now")
                while !stopping.isSet { usleep(100_000) }
                break
            }
            let received = fo_batch_receive(fd, receiveBatch, UInt32(count))
            if received <= 0 {
                if received < 0, errno != EAGAIN, errno != EINTR {
                    logger.error("UDP receive failed: \(String(cString: strerror(errno)))")
                    usleep(10_000)
                }
                continue
            }
            let readAt = Self.monotonicNanoseconds()
            let snapshot = store.load()
            let secrets = cookies?.load()
            let now = WallClock.milliseconds()
            var replies = 0
            var dropped = 0
            for index in 0..<Int(received) {
                let query = UnsafeRawBufferPointer(start: incoming[index].buffer, count: Int(incoming[index].length))
                let response = UnsafeMutableRawBufferPointer(start: outgoing[replies].buffer, count: Self.sendBufferSize)
                let client = IPAddress.from(incoming + index)
                var outcome = engine.respond(to: query, into: response, transport: .udp, snapshot: snapshot,
                                             scratch: scratch, now: now, client: client, cookies: secrets)
                if outcome.disposition == .needsTSIG {
                    outcome = signed.respond(to: query, into: response, transport: .udp, snapshot: snapshot,
                                             scratch: scratch, now: now, client: client, cookies: secrets)
                }
                guard outcome.disposition == .answered else {
                    dropped += 1
                    continue
                }
                var length = outcome.length
                if let limiter, let client, !outcome.validCookie {
                    switch limiter.verdict(for: client, response: UnsafeRawBufferPointer(response),
                                           questionEnd: outcome.questionEnd,
                                           second: UInt32(truncatingIfNeeded: now / 1000)) {
                    case .send:
                        break
                    case .drop:
                        counters.rateLimitedDropped.wrappingIncrement(ordering: .relaxed)
                        continue
                    case .slip:
                        // Header and question only, TC set: a real client retries over TCP.
                        counters.rateLimitedSlipped.wrappingIncrement(ordering: .relaxed)
                        length = DNSHeader.truncateToQuestion(response, questionEnd: outcome.questionEnd)
                        if length == 0 { continue }
                    }
                }
                counters.queries.record(outcome, transport: .udp, stripe: workerIndex)
                outgoing[replies].length = UInt32(length)
                outgoing[replies].peer = incoming[index].peer
                outgoing[replies].peer_length = incoming[index].peer_length
                replies += 1
            }
            if replies > 0 { _ = fo_batch_send(fd, sendBatch, UInt32(replies)) }
            counters.recordUDP(answered: replies, dropped: dropped)
            let wait = policy.wait(afterReading: Int(received), at: readAt, now: Self.monotonicNanoseconds())
            if wait > 0 {
                var duration = timespec(tv_sec: Int(wait / 1_000_000_000), tv_nsec: Int(wait % 1_000_000_000))
                _ = nanosleep(&duration, nil)
            }
        }
    }

    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}

/// A flag set once from any thread.
final class ManagedFlag: Sendable {
    private let value = ManagedAtomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
