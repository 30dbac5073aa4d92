import FailoverApplication
import FailoverCore
import Glibc
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One check of one address: a TCP connect, or an HTTP(S) GET whose status must fall in the check's `expect`.
/// Runs on the checker's event loop; the future never fails (a failed check is an outcome with its reason).
enum HealthProbe {
    struct Timeout: Error, CustomStringConvertible {
        var seconds: UInt32
        var description: String { "no answer within \(seconds) s" }
    }

    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    /// Checks `address` as `check` says; `host` is the Host header and TLS server name (nil: the address).
    static func run(
        _ check: HealthCheck, address: SocketAddress, host: String?, tls: NIOSSLContext?, on loop: any EventLoop
    ) -> EventLoopFuture<CheckRound.Outcome> {
        let text = address.ipAddress ?? "\(address)"
        let timeout = TimeAmount.seconds(Int64(check.timeout))
        let bootstrap = ClientBootstrap(group: loop).connectTimeout(timeout)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
        let result: EventLoopFuture<Void>
        switch check.kind {
        case .tcp:
            result = bootstrap.connect(to: address).flatMap { $0.close() }
        case .http, .https:
            let promise = loop.makePromise(of: UInt16.self)
            let hostHeader = host ?? text
            let connected = bootstrap.channelInitializer { channel in
                do {
                    if check.kind == .https, let tls {
                        // SNI only for a name: an IP literal is not a valid server name (RFC 6066 section 3).
                        let handler = try NIOSSLClientHandler(context: tls, serverHostname: host)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        StatusReader(path: check.path, host: hostHeader, promise: promise))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }.connect(to: address)
            connected.whenFailure { promise.fail($0) }
            let deadline = loop.scheduleTask(in: timeout) { promise.fail(Timeout(seconds: check.timeout)) }
            promise.futureResult.whenComplete { _ in
                deadline.cancel()
                connected.whenSuccess { $0.close(promise: nil) }
            }
            result = promise.futureResult.flatMapThrowing { status in
                guard check.expect.contains(status) else {
                    throw Refused(description: "status \(status), expected \(check.expectText)")
                }
            }
        }
        return result.map { CheckRound.Outcome(address: text, passed: true, error: nil) }
            .recover { CheckRound.Outcome(address: text, passed: false, error: describe($0)) }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case ChannelError.connectTimeout(let amount): "connect timed out after \(amount.nanoseconds / 1_000_000) ms"
        case let error as IOError: "connect: \(String(cString: strerror(error.errnoCode)))"
        case let error as NIOSSLError: "TLS: \(error)"
        case let error as NIOSSLExtraError: "TLS: \(error)"
        case let error as BoringSSLError: "TLS: \(error)"
        default: "\(error)"
        }
    }

    /// Sends `GET path` and completes `promise` with the response status; any earlier end fails it.
    final class StatusReader: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundOut = HTTPClientRequestPart

        let path: String
        let host: String
        let promise: EventLoopPromise<UInt16>

        init(path: String, host: String, promise: EventLoopPromise<UInt16>) {
            self.path = path
            self.host = host
            self.promise = promise
        }

        func channelActive(context: ChannelHandlerContext) {
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
            head.headers.add(name: "Host", value: host)
            head.headers.add(name: "User-Agent", value: "failoverd-health-check")
            head.headers.add(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .head(let head) = unwrapInboundIn(data) {
                promise.succeed(UInt16(clamping: head.status.code))
                context.close(promise: nil)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(Refused(description: "connection closed before a response"))
            context.fireChannelInactive()
        }
    }
}
