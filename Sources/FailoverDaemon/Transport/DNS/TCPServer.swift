import DNSWire
import Atomics
import FailoverApplication
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import QueryEngine
import ZoneData
import ZoneTransfer

/// DNS over TCP (RFC 7766): two-byte length prefix, many queries per
/// connection, pipelined queries answered in order, an idle timeout, a
/// deadline for each started message, a cap on connections, and back-pressure
/// when a client does not read its answers.
public final class TCPServer: Sendable {
    public struct Limits: Sendable {
        public var idleTimeout: TimeAmount
        public var messageTimeout: TimeAmount
        public var maxConnections: Int
        /// Most connections from one source address.
        public var maxConnectionsPerSource: Int

        public init(idleTimeout: TimeAmount, messageTimeout: TimeAmount, maxConnections: Int,
                    maxConnectionsPerSource: Int = 32) {
            self.idleTimeout = idleTimeout
            self.messageTimeout = messageTimeout
            self.maxConnections = maxConnections
            self.maxConnectionsPerSource = maxConnectionsPerSource
        }
    }

    private let group: EventLoopGroup
    private let engine: QueryEngine
    private let store: SnapshotStore
    private let counters: ServingCounters
    private let limits: Limits
    private let logger: Logger
    private let transfers: TransferResponder?
    private let signed: SignedQueryResponder
    private let cookies: CookieStore?
    private let openConnections = ManagedAtomic<Int>(0)
    /// Open connections per source: an IPv4 address or an IPv6 /64, the
    /// smallest block one host is normally given (touched on accept and close only).
    private let perSource = NIOLockedValueBox<[IPAddress: Int]>([:])
    static let sourceIPv6PrefixLength = 64

    public init(
        group: EventLoopGroup, engine: QueryEngine, store: SnapshotStore, counters: ServingCounters, limits: Limits,
        transfers: TransferResponder? = nil, cookies: CookieStore? = nil, tsigKeys: [TSIGKey] = [], logger: Logger
    ) {
        self.transfers = transfers
        self.signed = SignedQueryResponder(engine: engine, keys: tsigKeys)
        self.cookies = cookies
        self.group = group
        self.engine = engine
        self.store = store
        self.counters = counters
        self.limits = limits
        self.logger = logger
    }

    /// Number of connections open now.
    public var connectionCount: Int { openConnections.load(ordering: .relaxed) }

    private func bootstrap() -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // TCP_NODELAY is a TCP-level option: at the socket level the same number
            // is SO_DEBUG, which needs CAP_NET_ADMIN and, refused, closed every connection.
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { [self] channel in
                let open = openConnections.wrappingIncrementThenLoad(ordering: .relaxed)
                channel.closeFuture.whenComplete { [openConnections] _ in
                    openConnections.wrappingDecrement(ordering: .relaxed)
                }
                if open > limits.maxConnections {
                    counters.tcpConnectionsRefused.wrappingIncrement(ordering: .relaxed)
                    return channel.close()
                }
                let source = IPAddress.from(peer: channel.remoteAddress)?
                    .prefix(ipv4Bits: 32, ipv6Bits: Self.sourceIPv6PrefixLength) ?? IPAddress(ipv4: (0, 0, 0, 0))
                let fromSource = perSource.withLockedValue { counts -> Int in
                    counts[source, default: 0] += 1
                    return counts[source]!
                }
                channel.closeFuture.whenComplete { [perSource] _ in
                    perSource.withLockedValue { counts in
                        counts[source, default: 1] -= 1
                        if counts[source] == 0 { counts[source] = nil }
                    }
                }
                if fromSource > limits.maxConnectionsPerSource {
                    counters.tcpConnectionsRefused.wrappingIncrement(ordering: .relaxed)
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        DNSOverTCPHandler(engine: engine, store: store, counters: counters, limits: limits,
                                          transfers: transfers, signed: signed, cookies: cookies, logger: logger))
                }
            }
    }

    /// Binds a listener on an address.
    public func bind(_ address: ListenAddress) async throws -> Channel {
        try await bootstrap().bind(host: address.host, port: Int(address.port)).get()
    }

    /// Serves on an already bound and listening socket (socket activation).
    public func adopt(listeningSocket fd: Int32) async throws -> Channel {
        try await bootstrap().withBoundSocket(fd).get()
    }
}

/// One TCP connection's framing, timeouts and answers.
final class DNSOverTCPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let engine: QueryEngine
    private let store: SnapshotStore
    private let counters: ServingCounters
    private let limits: TCPServer.Limits
    private let scratch = QueryScratch()
    private var pending: ByteBuffer? = nil
    private var timer: Scheduled<Void>? = nil
    private var partialSince: NIODeadline? = nil
    private var wroteSinceFlush = false
    private let transfers: TransferResponder?
    /// Answers queries carrying a TSIG record.
    private let signed: SignedQueryResponder
    /// DNS cookies work over TCP as over UDP (RFC 7873 5.2); RRL does not apply.
    private let cookies: CookieStore?
    /// The peer, read once: the cookie hash covers the client address.
    private var client: IPAddress? = nil
    private let logger: Logger?

    /// Two-byte length prefix plus the largest message.
    private static let responseCapacity = 65535 + 2
    /// Answers per connection per turn of the event loop: a client that
    /// pipelines thousands of queries gets them answered in slices, with the
    /// other connections, the control socket and metrics served in between.
    static let answersPerTurn = 64
    /// A backlog of complete queries is being answered over several turns.
    private var resumeScheduled = false
    /// A zone transfer is being rendered off the event loop: later queries wait, no idle timer runs.
    private var transferRunning = false
    /// Where answers are rendered before being copied into a buffer of their
    /// own size: a queued answer holds its length, not 64 KiB of capacity.
    /// (Virtual memory: only the pages an answer touches become resident.)
    private let rendering = UnsafeMutableRawBufferPointer.allocate(byteCount: responseCapacity, alignment: 8)

    init(engine: QueryEngine, store: SnapshotStore, counters: ServingCounters, limits: TCPServer.Limits,
         transfers: TransferResponder? = nil, signed: SignedQueryResponder? = nil, cookies: CookieStore? = nil,
         logger: Logger? = nil) {
        self.transfers = transfers
        self.signed = signed ?? SignedQueryResponder(engine: engine, keys: [])
        self.cookies = cookies
        self.logger = logger
        self.engine = engine
        self.store = store
        self.counters = counters
        self.limits = limits
    }

    func channelActive(context: ChannelHandlerContext) {
        client = IPAddress.from(peer: context.channel.remoteAddress)
        armTimer(context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    deinit { rendering.deallocate() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if pending == nil {
            pending = incoming
        } else {
            pending!.writeBuffer(&incoming)
        }
        processFrames(context: context)
    }

    private func processFrames(context: ChannelHandlerContext) {
        guard !transferRunning else { return }
        guard var buffer = pending else {
            // Nothing was read behind a finished transfer: read again, and time the idle connection.
            _ = context.channel.setOption(.autoRead, value: context.channel.isWritable)
            armTimer(context: context)
            return
        }
        let snapshot = store.load()
        let secrets = cookies?.load()
        let now = WallClock.milliseconds()
        var answered = 0
        // Answers wait in memory only up to the channel's high watermark: past
        // it, the queries already read stay unanswered until the client reads.
        while context.channel.isWritable, answered < Self.answersPerTurn,
            let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self)
        {
            answered += 1
            if length == 0 {
                // A zero-length message cannot be a DNS query.
                counters.tcpDropped.wrappingIncrement(ordering: .relaxed)
                context.close(promise: nil)
                return
            }
            guard buffer.readableBytes >= 2 + Int(length) else { break }
            buffer.moveReaderIndex(forwardBy: 2)
            if let transfers,
                buffer.withUnsafeReadableBytes({ TransferResponder.isTransferQuery(UnsafeRawBufferPointer(rebasing: $0[0..<Int(length)])) })
            {
                let query = buffer.readBytes(length: Int(length)) ?? []
                startTransfer(query, transfers: transfers, snapshot: snapshot, now: now, context: context)
                break
            }
            let response = UnsafeMutableRawBufferPointer(rebasing: rendering[2..<Self.responseCapacity])
            let answerLength = buffer.readWithUnsafeReadableBytes { query -> (Int, Int) in
                let message = UnsafeRawBufferPointer(rebasing: query[0..<Int(length)])
                var outcome = engine.respond(to: message, into: response, transport: .tcp, snapshot: snapshot,
                                             scratch: scratch, now: now, client: client, cookies: secrets)
                if outcome.disposition == .needsTSIG {
                    outcome = signed.respond(to: message, into: response, transport: .tcp, snapshot: snapshot,
                                             scratch: scratch, now: now, client: client, cookies: secrets)
                }
                guard outcome.disposition == .answered else { return (Int(length), 0) }
                counters.queries.record(outcome, transport: .tcp, stripe: QueryCounters.tcpStripe)
                rendering.storeBigEndianUInt16(UInt16(outcome.length), at: 0)
                return (Int(length), 2 + outcome.length)
            }
            if answerLength > 0 {
                var out = context.channel.allocator.buffer(capacity: answerLength)
                out.writeBytes(UnsafeRawBufferPointer(rebasing: rendering[0..<answerLength]))
                counters.tcpAnswered.wrappingIncrement(ordering: .relaxed)
                context.write(wrapOutboundOut(out), promise: nil)
                wroteSinceFlush = true
            } else {
                counters.tcpDropped.wrappingIncrement(ordering: .relaxed)
            }
        }
        if buffer.readableBytes == 0 {
            pending = nil
            partialSince = nil
        } else {
            buffer.discardReadBytes()
            pending = buffer
            if partialSince == nil { partialSince = context.eventLoop.now }
        }
        let backlog = answered >= Self.answersPerTurn && Self.hasCompleteMessage(pending)
        // Nothing more is read while a backlog or a transfer waits or the client is not reading.
        _ = context.channel.setOption(.autoRead, value: context.channel.isWritable && !backlog && !transferRunning)
        if backlog, context.channel.isWritable, !resumeScheduled {
            resumeScheduled = true
            // Handler and context stay on their event loop: the isolated view takes a non-Sendable closure.
            context.eventLoop.assumeIsolated().execute {
                self.resumeScheduled = false
                guard context.channel.isActive else { return }
                self.processFrames(context: context)
                self.flushIfWritten(context: context)
            }
        }
        armTimer(context: context)
    }

    /// Renders a zone transfer on a background thread (at a million groups it
    /// takes seconds, and this event loop also serves every other TCP client
    /// and the control socket), then writes it and goes on with the queries
    /// that came after it on this connection, in order.
    private func startTransfer(_ query: [UInt8], transfers: TransferResponder, snapshot: ZoneSnapshot, now: Int64,
                               context: ChannelHandlerContext) {
        transferRunning = true
        timer?.cancel()
        let peer = client
        let peerText = client?.description ?? "?"
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let delay = TestHooks.transferDelayMicroseconds
        DispatchQueue.global().async {
            if let delay { usleep(delay) }
            let messages = transfers.respond(to: query, peer: peer, snapshot: snapshot, now: UInt64(now / 1000))
            loop.execute {
                let (handler, context) = bound.value
                handler.finishTransfer(messages, serial: snapshot.serial, peer: peerText, context: context)
            }
        }
    }

    private func finishTransfer(_ messages: [[UInt8]], serial: UInt32, peer: String, context: ChannelHandlerContext) {
        transferRunning = false
        guard context.channel.isActive else { return }
        logger?.info("zone transfer to \(peer): \(messages.count) message(s), serial \(serial)")
        for message in messages {
            var out = context.channel.allocator.buffer(capacity: message.count + 2)
            out.writeInteger(UInt16(message.count))
            out.writeBytes(message)
            context.write(wrapOutboundOut(out), promise: nil)
        }
        wroteSinceFlush = true
        counters.tcpAnswered.wrappingIncrement(ordering: .relaxed)
        processFrames(context: context)
        flushIfWritten(context: context)
    }

    /// True when `buffer` starts with a whole length-prefixed message.
    private static func hasCompleteMessage(_ buffer: ByteBuffer?) -> Bool {
        guard let buffer, let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) else { return false }
        return buffer.readableBytes >= 2 + Int(length)
    }

    private func flushIfWritten(context: ChannelHandlerContext) {
        if wroteSinceFlush {
            wroteSinceFlush = false
            context.flush()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfWritten(context: context)
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // A client that does not read its answers stops being read from; once
        // it reads again, the queries already received are answered first.
        if context.channel.isWritable, pending != nil {
            processFrames(context: context)
            flushIfWritten(context: context)
        } else {
            _ = context.channel.setOption(.autoRead, value: context.channel.isWritable)
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // The client is done sending: answer what is complete, then close.
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)))
                .assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    /// Idle connections close after the idle timeout; a started message must
    /// be complete within the message timeout, however slowly it trickles in.
    private func armTimer(context: ChannelHandlerContext) {
        timer?.cancel()
        if transferRunning { return }
        let deadline: NIODeadline
        if let partialSince {
            deadline = partialSince + limits.messageTimeout
        } else {
            deadline = context.eventLoop.now + limits.idleTimeout
        }
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            context.close(promise: nil)
        }
    }
}
