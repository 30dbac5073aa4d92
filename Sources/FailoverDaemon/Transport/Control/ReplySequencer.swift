import NIOConcurrencyHelpers
import NIOCore

/// The replies of one control connection, written in request order.
///
/// Each request takes a sequence number when it is read; its reply may be completed from any thread, in any
/// order. Whatever is ready in order goes out in one write, made on the channel's event loop: a commit that
/// answers many requests of a connection costs one hop to the loop and one write, not one per reply. The
/// reader waits on ``waitUntilUnwritten(atMost:)`` to bound what is in flight and to let a read see every
/// earlier write.
final class ReplySequencer: Sendable {
    private struct State {
        /// The sequence number of the next request.
        var next = 0
        /// Lowest sequence number not yet handed to the channel; `pending[0]` is its reply.
        var firstUnsent = 0
        /// Lowest sequence number whose write has not completed.
        var firstUnwritten = 0
        var pending: CircularBuffer<[UInt8]?> = CircularBuffer(initialCapacity: 16)
        var sendScheduled = false
        var waiter: (limit: Int, continuation: CheckedContinuation<Void, any Error>)? = nil
        var failure: (any Error)? = nil

        var unwritten: Int { next - firstUnwritten }

        /// Whether a reader waiting for at most `limit` unwritten replies may go on; nil to keep waiting.
        func verdict(limit: Int) -> Result<Void, any Error>? {
            if let failure { return .failure(failure) }
            return unwritten <= limit ? .success(()) : nil
        }

        /// The waiter to resume now and with what, if its condition holds or the connection failed.
        mutating func takeSatisfiedWaiter() -> (CheckedContinuation<Void, any Error>, Result<Void, any Error>)? {
            guard let waiter, let verdict = verdict(limit: waiter.limit) else { return nil }
            self.waiter = nil
            return (waiter.continuation, verdict)
        }
    }

    private let state = NIOLockedValueBox(State())
    private let channel: any Channel

    init(channel: any Channel) {
        self.channel = channel
    }

    /// The sequence number for the next request's reply; call in request order.
    func reserve() -> Int {
        state.withLockedValue { state in
            defer { state.next += 1 }
            state.pending.append(nil)
            return state.next
        }
    }

    /// Sets the reply (one line, newline included) of request `sequence`, from any thread. With `deferred`,
    /// the write waits for its ``DeferredSends/run()``, so the replies of one batch go out together.
    func complete(_ sequence: Int, line: [UInt8], deferringTo deferred: DeferredSends? = nil) {
        let schedule = state.withLockedValue { state -> Bool in
            guard state.failure == nil else { return false }
            state.pending[state.pending.index(state.pending.startIndex, offsetBy: sequence - state.firstUnsent)] = line
            guard sequence == state.firstUnsent, !state.sendScheduled else { return false }
            state.sendScheduled = true
            return true
        }
        guard schedule else { return }
        if let deferred {
            deferred.add(self)
        } else {
            scheduleSend()
        }
    }

    /// Writes what is ready, now when on the event loop, else on its next turn.
    fileprivate func scheduleSend() {
        if channel.eventLoop.inEventLoop {
            send()
        } else {
            channel.eventLoop.execute { self.send() }
        }
    }

    /// Writes every reply ready in order (on the event loop).
    private func send() {
        let (lines, upTo) = state.withLockedValue { state -> ([[UInt8]], Int) in
            state.sendScheduled = false
            var lines: [[UInt8]] = []
            while let first = state.pending.first, let line = first {
                lines.append(line)
                state.pending.removeFirst()
            }
            state.firstUnsent += lines.count
            return (lines, state.firstUnsent)
        }
        guard !lines.isEmpty else { return }
        var buffer = channel.allocator.buffer(capacity: lines.reduce(0) { $0 + $1.count })
        for line in lines { buffer.writeBytes(line) }
        channel.writeAndFlush(buffer).whenComplete { result in
            let waiter = self.state.withLockedValue { state in
                switch result {
                case .success: state.firstUnwritten = upTo
                case .failure(let error): state.failure = state.failure ?? error
                }
                return state.takeSatisfiedWaiter()
            }
            if let (continuation, verdict) = waiter { continuation.resume(with: verdict) }
        }
    }

    /// Returns once at most `limit` replies are reserved but not yet written; throws when a write failed.
    func waitUntilUnwritten(atMost limit: Int) async throws {
        if let verdict = state.withLockedValue({ $0.verdict(limit: limit) }) { return try verdict.get() }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let verdict = state.withLockedValue { state -> Result<Void, any Error>? in
                let verdict = state.verdict(limit: limit)
                if verdict == nil { state.waiter = (limit, continuation) }
                return verdict
            }
            if let verdict { continuation.resume(with: verdict) }
        }
    }
}

/// Reply writes held back until a batch of completions is over (see ``ReplySequencer/complete(_:line:deferringTo:)``).
final class DeferredSends: Sendable {
    private let waiting = NIOLockedValueBox<[ReplySequencer]>([])

    func add(_ replies: ReplySequencer) {
        waiting.withLockedValue { $0.append(replies) }
    }

    /// Starts every write held back.
    func run() {
        let due = waiting.withLockedValue { waiting in
            defer { waiting.removeAll(keepingCapacity: true) }
            return waiting
        }
        for replies in due { replies.scheduleSend() }
    }
}
