import CNetShim
import DNSWire
import Foundation
import Logging
import NIOCore
import NIOPosix
import QueryEngine
import ZoneData

#if canImport(Glibc)
import Glibc
#endif

/// A start-up failure, with a message for the operator.
public struct StartupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The running daemon: zone, snapshot, transports, signals.
public final class Daemon: @unchecked Sendable {
    public let config: DaemonConfig
    private let logger: Logger
    public let store: SnapshotStore
    public let counters = ServingCounters()
    private var udpServer: UDPServer? = nil
    private var tcpChannels: [Channel] = []
    private var eventLoops: MultiThreadedEventLoopGroup? = nil

    /// Loads the zone; throws a message naming the file and line on error.
    public init(config: DaemonConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        let zone = try Self.loadZone(config: config)
        for warning in zone.warnings { logger.warning("\(warning)") }
        store = SnapshotStore(ZoneSnapshot(zone: zone))
        logger.info(
            "zone \(zone.origin) loaded from \(config.zoneFile ?? "the built-in default apex"): \(zone.nodes.count) names, serial \(zone.serial)")
    }

    public static func loadZone(config: DaemonConfig) throws(ZoneError) -> StaticZone {
        if let file = config.zoneFile {
            return try ZoneFileLoader.load(path: file, origin: config.origin)
        }
        return try DefaultZone.load(origin: config.origin)
    }

    /// Binds every socket, starts serving and returns once ready.
    public func start() async throws {
        let engine = QueryEngine()
        let workers = config.udpWorkers > 0 ? config.udpWorkers : max(1, System.coreCount)
        var udpSockets: [Int32] = []
        do {
            for address in config.listen {
                for _ in 0..<workers {
                    let fd = address.withSockAddr { fo_bind_socket($0, $1, Int32(SOCK_DGRAM.rawValue), 1) }
                    guard fd >= 0 else {
                        throw StartupError("cannot listen on UDP \(address): \(String(cString: strerror(-fd)))")
                    }
                    udpSockets.append(fd)
                }
            }
        } catch {
            for fd in udpSockets { close(fd) }
            throw error
        }
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        eventLoops = loops
        let tcp = TCPServer(
            group: loops, engine: engine, store: store, counters: counters,
            limits: .init(idleTimeout: .milliseconds(Int64(config.tcpIdleTimeout * 1000)),
                          messageTimeout: .milliseconds(Int64(config.tcpMessageTimeout * 1000)),
                          maxConnections: config.tcpMaxConnections),
            logger: logger)
        for address in config.listen {
            do {
                tcpChannels.append(try await tcp.bind(address))
            } catch {
                for fd in udpSockets { close(fd) }
                throw StartupError("cannot listen on TCP \(address): \(error)")
            }
        }
        let udp = UDPServer(sockets: udpSockets, engine: engine, store: store, counters: counters, logger: logger)
        udp.start()
        udpServer = udp
        let addresses = config.listen.map(\.description).joined(separator: ", ")
        logger.info("listening on \(addresses) (UDP with \(workers) worker(s) per address, TCP)")
    }

    /// Stops serving: closes listeners, lets workers finish.
    public func stop() async {
        for channel in tcpChannels { try? await channel.close() }
        tcpChannels = []
        udpServer?.stop()
        udpServer = nil
        try? await eventLoops?.shutdownGracefully()
        eventLoops = nil
    }

    /// Runs until SIGTERM or SIGINT.
    public func run() async throws {
        try await start()
        logger.info("ready")
        let signal = await Self.waitForTermination()
        logger.info("received \(signal), shutting down")
        await stop()
        logger.info("stopped")
    }

    static func waitForTermination() async -> String {
        await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            let queue = DispatchQueue(label: "signals")
            let resumed = ManagedFlag()
            var sources: [DispatchSourceSignal] = []
            for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    guard !resumed.isSet else { return }
                    resumed.set()
                    continuation.resume(returning: name)
                }
                source.resume()
                sources.append(source)
            }
            // Keep the sources alive for the life of the process.
            SignalSources.shared.keep(sources)
        }
    }
}

/// Holds signal sources so they are not released.
final class SignalSources: @unchecked Sendable {
    static let shared = SignalSources()
    private let lock = NSLock()
    private var sources: [DispatchSourceSignal] = []
    func keep(_ more: [DispatchSourceSignal]) { lock.withLock { sources += more } }
}
