import Atomics
import DNSWire
import FailoverApplication
import FailoverControl
import FailoverCore
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The control channel: a Unix stream socket speaking one JSON object per
/// line (docs/control-protocol.md). Checks each peer's credentials, bounds
/// line size, connections and idle time, answers requests in order, and
/// turns a connection into an event stream on `watch`. A client that does not
/// read is disconnected rather than buffered for.
public final class ControlServer: Sendable {
    public struct Settings: Sendable {
        public var path: String
        public var allowUsers: [String]
        public var allowGroups: [String]
        /// Group owning the socket file (mode 0660); nil keeps the daemon's.
        public var socketGroup: String?
        public var maxConnections: Int
        public var idleTimeout: TimeAmount
        /// Events queued for one watcher before it is cut off.
        public var watcherQueueLimit: Int

        public init(path: String, allowUsers: [String], allowGroups: [String], socketGroup: String? = nil,
                    maxConnections: Int = 64, idleTimeout: TimeAmount = .seconds(300),
                    watcherQueueLimit: Int = ControlServer.defaultWatcherQueue) {
            self.path = path
            self.allowUsers = allowUsers
            self.allowGroups = allowGroups
            self.socketGroup = socketGroup
            self.maxConnections = maxConnections
            self.idleTimeout = idleTimeout
            self.watcherQueueLimit = watcherQueueLimit
        }
    }

    typealias Connection = NIOAsyncChannel<ControlLineFramer.Frame, ByteBuffer>

    /// Events one watcher may have queued before it is cut off: a few
    /// seconds of a busy platform's changes, a few MB at most.
    public static let defaultWatcherQueue = 4096

    let settings: Settings
    let dispatcher: ControlDispatcher
    let logger: Logger
    let group: EventLoopGroup
    let hub: WatcherHub
    let connections = ManagedAtomic<Int>(0)
    let requests = ManagedAtomic<Int>(0)
    let failures = ManagedAtomic<Int>(0)
    let metrics: ServiceMetrics
    /// Replies completed by a commit, written once the whole batch is answered.
    let batchSends = DeferredSends()
    private let listenerChannel = NIOLockedValueBox<Channel?>(nil)
    /// The socket file is ours to remove at stop (not one systemd passed in).
    private let ownsPath = ManagedAtomic<Bool>(true)

    public init(settings: Settings, dispatcher: ControlDispatcher, group: EventLoopGroup, logger: Logger,
                metrics: ServiceMetrics = .disabled) {
        self.settings = settings
        self.metrics = metrics
        self.dispatcher = dispatcher
        self.group = group
        self.logger = logger
        self.hub = WatcherHub(queueLimit: settings.watcherQueueLimit)
    }

    public var connectionCount: Int { connections.load(ordering: .relaxed) }
    public var watcherCount: Int { hub.count }

    /// Binds the socket (replacing a stale file, refusing a live one), or
    /// takes a listening socket from systemd, and starts accepting.
    public func start(adopting passedSocket: Int32? = nil) async throws {
        // Before the first connection: a commit's replies are written when its batch is over.
        await dispatcher.addBatchObserver { [batchSends] in batchSends.run() }
        let idle = settings.idleTimeout
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ControlIdleHandler(timeout: idle))
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ControlLineDecoder()))
                    let connection = try Connection(wrappingChannelSynchronously: channel)
                    Task { await self.serve(connection) }
                }
            }
        let channel: Channel
        if let passedSocket {
            channel = try await bootstrap.withBoundSocket(passedSocket).get()
        } else {
            try Self.prepareSocketPath(settings.path)
            // Bind aside, set mode and group, then rename into place: no
            // client can connect while the file still has the umask's mode.
            let staging = settings.path + ".binding"
            channel = try await bootstrap.bind(unixDomainSocketPath: staging, cleanupExistingSocketFile: true).get()
            chmod(staging, 0o660)
            if let name = settings.socketGroup {
                guard let gid = AccountDatabase.groupID(named: name) else {
                    try? await channel.close()
                    unlink(staging)
                    throw StartupError("control.group '\(name)' does not exist (create it or remove the setting)")
                }
                chown(staging, uid_t.max, gid)
            }
            guard rename(staging, settings.path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? await channel.close()
                unlink(staging)
                throw StartupError("cannot move the control socket into place at \(settings.path): \(reason)")
            }
        }
        await dispatcher.subscribeEvents(isWanted: { [hub] in hub.count > 0 }, deliver: { [hub] in hub.publish($0) })
        listenerChannel.withLockedValue { $0 = channel }
        ownsPath.store(passedSocket == nil, ordering: .relaxed)
        logger.info("control socket at \(passedSocket == nil ? settings.path : "fd \(passedSocket!) from systemd")")
    }

    /// Sends `events` to every watcher (events that are not model changes: `health.changed`, `failover.blocked`).
    public func publish(_ events: [ControlEvent]) {
        guard hub.count > 0 else { return }
        hub.publish(events.map(\.line))
    }

    public func stop() async {
        let channel = listenerChannel.withLockedValue { channel -> Channel? in
            defer { channel = nil }
            return channel
        }
        try? await channel?.close()
        hub.closeAll()
        if ownsPath.load(ordering: .relaxed) { unlink(settings.path) }
    }

    /// A live daemon already on the path is an error; a stale file is removed.
    static func prepareSocketPath(_ path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o750])
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw StartupError("control socket path \(path) exists and is not a socket; remove it or set control.socket")
        }
        if UnixSocketProbe.isListening(path) {
            throw StartupError("control socket \(path) is in use by another process (is failoverd already running?)")
        }
    }

    /// Checks the peer, then answers it. A refused peer gets one error line
    /// and is closed at once: it never holds one of the `maxConnections` slots.
    private func serve(_ connection: Connection) async {
        let credentials = await PeerCredentials.read(connection.channel)
        let admission = await AccessPolicy(allowUsers: settings.allowUsers, allowGroups: settings.allowGroups)
            .admit(credentials)
        try? await connection.executeThenClose { inbound, outbound in
            if let refusal = admission.refusal {
                if credentials == nil {
                    logger.debug("control connection closed before its credentials could be read")
                } else {
                    logger.warning("control connection refused: \(refusal)")
                }
                try await finalLine(ControlResponse.failure(id: .null, error: .unauthorized(refusal)).line, to: connection)
                return
            }
            let open = connections.wrappingIncrementThenLoad(ordering: .relaxed)
            defer { connections.wrappingDecrement(ordering: .relaxed) }
            if open > settings.maxConnections {
                let error = ControlError.unavailable("too many control connections (\(settings.maxConnections)); try again later")
                try await finalLine(ControlResponse.failure(id: .null, error: error).line, to: connection)
                return
            }
            let author = credentials.map { ChangeAuthor(uid: $0.uid, user: admission.userName, pid: $0.pid) }
            try await answer(inbound: inbound, outbound: outbound, connection: connection, author: author)
        }
    }

    /// Writes the last line of a connection about to be closed, returning once
    /// it is in the socket (a line left queued would be dropped by the close).
    private func finalLine(_ line: [UInt8], to connection: Connection) async throws {
        try await connection.channel.writeAndFlush(ByteBuffer(bytes: line))
    }

    /// Requests of one connection in flight at once: mutations are committed
    /// without waiting for the one before (they share fsyncs), replies go
    /// out in request order, and reading stops while this many are unwritten.
    public static let pipelineDepth = 64

    /// Reads requests and answers them in order. Mutations are submitted as
    /// they arrive (committed in arrival order); a read waits until every
    /// earlier reply is written, so it sees the earlier writes.
    private func answer(inbound: NIOAsyncChannelInboundStream<ControlLineFramer.Frame>,
                        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, connection: Connection,
                        author: ChangeAuthor?) async throws
    {
        let replies = ReplySequencer(channel: connection.channel)
        func send(_ line: [UInt8]) async throws {
            replies.complete(replies.reserve(), line: line)
            try await replies.waitUntilUnwritten(atMost: Self.pipelineDepth - 1)
        }
        var watchRequest: JSONValue? = nil
        var failure: (any Error)? = nil
        do {
            requests: for try await frame in inbound {
                let line: [UInt8]
                switch frame {
                case .tooLarge:
                    metrics.controlRequest(op: "invalid", result: ControlError.Code.tooLarge.rawValue)
                    try await send(ControlRequest.Rejection.lineTooLarge.response.line)
                    continue
                case .line(let bytes):
                    line = bytes
                }
                requests.wrappingIncrement(ordering: .relaxed)
                let id: JSONValue
                let command: ControlCommand
                do throws(ControlRequest.Rejection) {
                    (id, command) = try ControlRequest.decodeCommand(line: line)
                } catch {
                    failures.wrappingIncrement(ordering: .relaxed)
                    metrics.controlRequest(op: "invalid", result: error.error.code.rawValue)
                    try await send(error.response.line)
                    continue
                }
                if case .watch = command {
                    metrics.controlRequest(op: command.operation.name, result: "ok")
                    watchRequest = id
                    break requests
                }
                guard command.operation.isMutation else {
                    // A read waits for every earlier reply, so it sees the earlier writes.
                    try await replies.waitUntilUnwritten(atMost: 0)
                    let result: Result<JSONValue, ControlError>
                    do throws(ControlError) {
                        result = .success(try await dispatcher.handle(command))
                    } catch {
                        result = .failure(error)
                    }
                    try await send(reply(to: command, id: id, result.map { value in
                        var encoded: [UInt8] = []
                        value.write(into: &encoded)
                        return encoded
                    }))
                    continue
                }
                let sequence = replies.reserve()
                do throws(ControlError) {
                    try dispatcher.submit(command, author: author) { [self] result in
                        replies.complete(sequence, line: reply(to: command, id: id, result), deferringTo: batchSends)
                    }
                } catch {
                    replies.complete(sequence, line: reply(to: command, id: id, .failure(error)))
                }
                try await replies.waitUntilUnwritten(atMost: Self.pipelineDepth - 1)
            }
            try await replies.waitUntilUnwritten(atMost: 0)
        } catch {
            failure = error
        }
        // Every reply is written (or the connection failed) before the connection goes on or ends.
        if failure != nil { try? await replies.waitUntilUnwritten(atMost: 0) }
        if let failure { throw failure }
        if let watchRequest {
            try await watch(id: watchRequest, connection: connection, outbound: outbound)
        }
    }

    /// The reply line for a finished request, counted in the metrics.
    private func reply(to command: ControlCommand, id: JSONValue, _ result: Result<[UInt8], ControlError>)
        -> [UInt8]
    {
        switch result {
        case .success(let encoded):
            metrics.controlRequest(op: command.operation.name, result: "ok")
            return ControlResponse.successLine(id: id, encodedResult: encoded)
        case .failure(let error):
            failures.wrappingIncrement(ordering: .relaxed)
            metrics.controlRequest(op: command.operation.name, result: error.code.rawValue)
            return ControlResponse.failure(id: id, error: error).line
        }
    }

    private func watch(id: JSONValue, connection: Connection, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>)
        async throws
    {
        let channel = connection.channel
        let (key, stream) = hub.subscribe { [logger, hub] in
            logger.warning("control watcher fell more than \(hub.queueLimit) events behind; disconnecting it")
            channel.close(promise: nil)
        }
        defer { hub.unsubscribe(key) }
        // Watchers stay connected while idle; the handler is touched on its own event loop only.
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: ControlIdleHandler.self).disable()
        }.get()
        let serial = await dispatcher.servedSerial()
        try await write(ControlResponse.success(id: id, result: ControlResults.watching(serial: serial)).line,
                        to: outbound)
        for await line in stream {
            try await write(line, to: outbound)
        }
    }

    private func write(_ line: [UInt8], to outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        try await outbound.write(ByteBuffer(bytes: line))
    }
}

/// Fans committed events out to watchers, each with a bounded queue: a
/// watcher that falls behind by more than `queueLimit` lines is cut off.
final class WatcherHub: Sendable {
    private struct Watcher {
        var continuation: AsyncStream<[UInt8]>.Continuation
        /// Closes the connection: a write blocked on a full socket never returns otherwise.
        var disconnect: @Sendable () -> Void
    }

    private let watchers = NIOLockedValueBox<[UUID: Watcher]>([:])
    let queueLimit: Int

    init(queueLimit: Int) { self.queueLimit = queueLimit }

    var count: Int { watchers.withLockedValue { $0.count } }

    func subscribe(disconnect: @escaping @Sendable () -> Void) -> (UUID, AsyncStream<[UInt8]>) {
        let key = UUID()
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingOldest(queueLimit))
        watchers.withLockedValue { $0[key] = Watcher(continuation: continuation, disconnect: disconnect) }
        return (key, stream)
    }

    func unsubscribe(_ key: UUID) {
        let watcher = watchers.withLockedValue { $0.removeValue(forKey: key) }
        watcher?.continuation.finish()
    }

    func publish(_ lines: [[UInt8]]) {
        let current = watchers.withLockedValue { $0 }
        for (key, watcher) in current {
            for line in lines {
                if case .dropped = watcher.continuation.yield(line) {
                    // Too far behind: cut it off instead of buffering without bound.
                    unsubscribe(key)
                    watcher.disconnect()
                    break
                }
            }
        }
    }

    func closeAll() {
        let all = watchers.withLockedValue { watchers -> [Watcher] in
            defer { watchers = [:] }
            return Array(watchers.values)
        }
        for watcher in all { watcher.continuation.finish() }
    }
}

/// Splits the byte stream into request lines, bounded in length.
struct ControlLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ControlLineFramer.Frame
    var framer = ControlLineFramer(maximumLineLength: ControlRequest.maximumLineLength)

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if buffer.readableBytes > 0 {
            buffer.withUnsafeReadableBytes { framer.append($0) }
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        }
        // Every complete line now: NIO does not call again for bytes already taken.
        while let frame = framer.next() {
            context.fireChannelRead(wrapInboundOut(frame))
        }
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        try decode(context: context, buffer: &buffer)
    }
}

/// Closes a control connection that sends nothing for the idle timeout,
/// unless it became a watcher.
final class ControlIdleHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let timeout: TimeAmount
    private var timer: Scheduled<Void>? = nil
    private var enabled = true

    init(timeout: TimeAmount) { self.timeout = timeout }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        arm(context)
        context.fireChannelRead(data)
    }

    func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }

    /// Stops the idle timeout for good; call on the channel's event loop.
    func disable() {
        enabled = false
        timer?.cancel()
    }

    private func arm(_ context: ChannelHandlerContext) {
        timer?.cancel()
        guard enabled else { return }
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }
}
