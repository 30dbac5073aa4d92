import Atomics
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The Prometheus endpoint: a tiny HTTP/1.1 server on the daemon's event
/// loops. `GET /metrics` returns the exposition; anything else is a 404. One
/// request per connection, bounded in size, time and number of connections,
/// so a scraper (or anything else that finds the port) costs little.
public final class MetricsServer: Sendable {
    /// Bytes one connection may send: a scrape request is a few hundred.
    static let maxRequestBytes = 8 * 1024
    /// Connections at once: Prometheus opens one per scrape.
    static let maxConnections = 16
    /// A connection is closed this long after it opened, answered or not.
    static let connectionTimeout: TimeAmount = .seconds(10)
    /// The text format version Prometheus expects from `text/plain`.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private let group: EventLoopGroup
    private let exporter: MetricsExporter
    private let openConnections = ManagedAtomic<Int>(0)

    public init(group: EventLoopGroup, exporter: MetricsExporter) {
        self.group = group
        self.exporter = exporter
    }

    /// Binds the listener and starts answering.
    public func bind(_ address: ListenAddress) async throws -> Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [exporter, openConnections] channel in
                let open = openConnections.wrappingIncrementThenLoad(ordering: .relaxed)
                let timeout = channel.eventLoop.scheduleTask(in: Self.connectionTimeout) { channel.close(promise: nil) }
                channel.closeFuture.whenComplete { _ in
                    timeout.cancel()
                    openConnections.wrappingDecrement(ordering: .relaxed)
                }
                if open > Self.maxConnections { return channel.close() }
                return channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(RequestByteLimit(limit: Self.maxRequestBytes))
                    try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: true)
                    try pipeline.addHandler(MetricsHTTPHandler(exporter: exporter))
                }
            }
            .bind(host: address.host, port: Int(address.port)).get()
    }
}

/// Closes a connection that sends more than `limit` bytes in all.
final class RequestByteLimit: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let limit: Int
    private var received = 0

    init(limit: Int) { self.limit = limit }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += unwrapInboundIn(data).readableBytes
        guard received <= limit else {
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(data)
    }
}

/// Answers the first request of a connection, then closes it.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let exporter: MetricsExporter
    private var head: HTTPRequestHead? = nil
    private var answered = false

    init(exporter: MetricsExporter) { self.exporter = exporter }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard !answered, let head else { return }
            answered = true
            let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            guard head.method == .GET, path == "/metrics" else {
                respond(context: context, status: .notFound, contentType: "text/plain; charset=utf-8",
                        body: Array("not found: the metrics are at GET /metrics\n".utf8))
                return
            }
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let exporter = exporter
            context.eventLoop.makeFutureWithTask { await exporter.render() }.whenComplete { result in
                let (handler, context) = bound.value
                switch result {
                case .success(let body):
                    handler.respond(context: context, status: .ok, contentType: MetricsServer.contentType, body: body)
                case .failure:
                    handler.respond(context: context, status: .internalServerError,
                                    contentType: "text/plain; charset=utf-8", body: [])
                }
            }
        }
    }

    private func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, contentType: String,
                         body: [UInt8]) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                      promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
