import CNetShim
import DNSWire
import FailoverApplication
import FailoverControl
import FailoverCore
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import QueryEngine
import ZoneData
import ZoneTransfer

#if canImport(Glibc)
import Glibc
#endif

/// A start-up failure, with a message for the operator.
public struct StartupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The running daemon: zone, snapshot, transports, signals.
public final class Daemon: ControlHost, Sendable {
    /// The configuration read at start. A reload takes only the zone file and TTL from the file again,
    /// and hands them to the service.
    public let config: DaemonConfig
    /// The file the configuration came from, re-read on reload.
    public let configPath: String?
    private let logger: Logger
    public let store: SnapshotStore
    public let counters = ServingCounters()
    /// The certificates of `health.ca-file`, read at start.
    private let healthTrustRoots: [NIOSSLCertificate]
    /// Deltas for IXFR, fed by every committed change.
    public let transferLog = TransferLog()

    /// The running parts: set by `start` (and the background state load), read by the watchdog
    /// monitor, scrapes, `stats` and reload, taken down by `stop`.
    private struct Parts {
        var udpServer: UDPServer? = nil
        var tcpServer: TCPServer? = nil
        var tcpChannels: [Channel] = []
        var eventLoops: MultiThreadedEventLoopGroup? = nil
        var service: FailoverService? = nil
        var controlServer: ControlServer? = nil
        var notifier: NotifySender? = nil
        var healthMonitor: HealthMonitor? = nil
        var healthRunner: HealthCheckRunner? = nil
        var cookieStore: CookieStore? = nil
        var metricsChannel: Channel? = nil
        /// The background state load of a fast start, and whether it got as far
        /// as opening the control socket (then a stop waits for it) before a
        /// stop was requested (then it gives up).
        var backgroundStart: Task<Void, Never>? = nil
        var stopRequested = false
        var controlStarting = false
    }

    private let parts = NIOLockedValueBox(Parts())

    /// The failover state, once loaded.
    public var service: FailoverService? { parts.withLockedValue { $0.service } }

    /// Loads the zone; throws a message naming the file and line on error.
    public init(config: DaemonConfig, configPath: String? = nil, logger: Logger) throws {
        self.config = config
        self.configPath = configPath
        self.logger = logger
        let zone = try Self.loadZone(config: config)
        for warning in zone.warnings { logger.warning("\(warning)") }
        let hooks = TestHooks.active
        if !hooks.isEmpty { logger.warning("test hooks active (debug build): \(hooks.joined(separator: " "))") }
        store = SnapshotStore(ZoneSnapshot(zone: zone))
        healthTrustRoots = try Self.loadHealthTrust(config: config)
        logger.info(
            "zone \(zone.origin) loaded from \(config.zoneFile ?? "the built-in default apex"): \(zone.nodes.count) names, serial \(zone.serial)")
    }

    /// The certificates of `health.ca-file` (none without it); throws naming the file when it cannot be read
    /// or holds no PEM certificate.
    public static func loadHealthTrust(config: DaemonConfig) throws(StartupError) -> [NIOSSLCertificate] {
        guard let path = config.healthCAFile else { return [] }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw StartupError("health.ca-file \(path): cannot read PEM certificates (\(error))")
        }
        guard !certificates.isEmpty else { throw StartupError("health.ca-file \(path): no PEM certificate in it") }
        return certificates
    }

    public static func loadZone(config: DaemonConfig) throws(ZoneError) -> StaticZone {
        if let file = config.zoneFile {
            return try ZoneFileLoader.load(path: file, origin: config.origin)
        }
        return try DefaultZone.load(origin: config.origin)
    }

    /// A checkpoint file at least this large (about 50,000 groups) is served
    /// straight from the file while the model loads behind it.
    static let backgroundLoadThreshold = 4 << 20

    /// Loads the durable state, binds every socket, starts serving and the
    /// control channel, and returns once DNS is answered.
    ///
    /// A large state whose checkpoint file is the whole state (empty journal)
    /// is served from the file at once; the model loads on a thread of its
    /// own meanwhile (from the moment the file is read, beside the scan) and
    /// the control socket opens when it is ready, keeping the scanned
    /// snapshot. Otherwise the state loads first and every failure refuses
    /// the start.
    public func start() async throws {
        let exporter = config.metricsListen.map { _ in MetricsExporter(counters: counters) { [weak self] in
            await self?.metricsState() ?? MetricsExporter.State()
        } }
        let metrics = exporter?.serviceMetrics ?? .disabled
        let healthMetrics = exporter?.healthMetrics ?? .disabled
        var service: FailoverService? = nil
        /// The state loading on its own thread while the checkpoint file is served.
        var loading: Task<FailoverService, any Error>? = nil
        let checkpoint = StateStore.soleCheckpointPath(directory: config.stateDirectory)
        if let checkpoint, Self.fileSize(checkpoint) >= Self.backgroundLoadThreshold {
            switch StateStore.readWholeCheckpoint(directory: config.stateDirectory) {
            case .success(let bytes):
                let handoff = ScanHandoff()
                // On its own thread: the load takes a second or more at a million groups and must
                // not hold a cooperative thread (on one CPU, the only one) that signal handling
                // and the watchdog monitor need.
                loading = Task.detached { [self] in
                    try await Self.onOwnThread(named: "state-load") {
                        try self.loadService(metrics: metrics, scanned: { handoff.wait() })
                    }
                }
                switch SnapshotBuilder.scan(bytes, zone: store.load().zone, ttl: config.ttl) {
                case .success(let served):
                    store.publish(served)
                    handoff.set(served)
                    logger.info("serving \(served.groups.count) groups from the checkpoint file while the state loads (\(String(format: "%.2f", FailoverService.threadCPUSeconds())) s of CPU in this thread since start)")
                case .failure(let refusal):
                    handoff.set(nil)
                    logger.info("loading the whole state before serving: \(refusal)")
                    service = try await loading?.value
                    loading = nil
                }
            case .failure(let refusal):
                logger.info("loading the whole state before serving: \(refusal)")
                service = try loadService(metrics: metrics)
            }
        } else {
            service = try loadService(metrics: metrics)
        }
        let engine = QueryEngine()
        let workers = config.udpWorkers > 0 ? config.udpWorkers : max(1, System.coreCount)
        let passed = Systemd.passedSockets()
        let passedUDP = passed.filter { $0.kind == .udp }
        let passedTCP = passed.filter { $0.kind == .tcpListener }
        let passedControl = passed.first { $0.kind == .unixListener }
        for socket in passed where socket.kind == .other {
            logger.warning("ignoring passed socket \(socket.name) (fd \(socket.fd)): not UDP, a TCP listener or a Unix stream listener")
        }
        if !passed.isEmpty {
            logger.info("socket activation: \(passed.map { "\($0.name) (fd \($0.fd))" }.joined(separator: ", "))")
        }
        let udpSockets = try bindUDPSockets(passed: passedUDP, workers: workers)
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        parts.withLockedValue { $0.eventLoops = loops }
        let cookies = config.cookiesEnabled ? CookieStore(secret: config.cookieSecret) : nil
        let tcp = TCPServer(
            group: loops, engine: engine, store: store, counters: counters,
            limits: .init(idleTimeout: .milliseconds(Int64(config.tcpIdleTimeout * 1000)),
                          messageTimeout: .milliseconds(Int64(config.tcpMessageTimeout * 1000)),
                          maxConnections: config.tcpMaxConnections,
                          maxConnectionsPerSource: config.tcpMaxConnectionsPerSource),
            transfers: TransferResponder(policy: config.transfer, log: transferLog), cookies: cookies,
            tsigKeys: config.transfer.keys, logger: logger)
        let tcpChannels: [Channel]
        do {
            tcpChannels = try await openTCPListeners(tcp, passed: passedTCP,
                                                     activated: !passedUDP.isEmpty || !passedTCP.isEmpty)
        } catch {
            for fd in udpSockets { close(fd) }
            throw error
        }
        let limiter = config.rateLimit.responsesPerSecond > 0 ? ResponseRateLimiter(settings: config.rateLimit) : nil
        let udp = UDPServer(sockets: udpSockets, engine: engine, store: store, counters: counters, limiter: limiter,
                            cookies: cookies, tsigKeys: config.transfer.keys, latencyBudgetMicroseconds: config.udpLatencyBudgetMicroseconds,
                            receiveBuffer: config.udpReceiveBuffer, logger: logger)
        udp.start()
        parts.withLockedValue {
            $0.cookieStore = cookies
            $0.tcpServer = tcp
            $0.tcpChannels = tcpChannels
            $0.udpServer = udp
        }
        if let exporter, let address = config.metricsListen {
            do {
                let channel = try await MetricsServer(group: loops, exporter: exporter).bind(address)
                parts.withLockedValue { $0.metricsChannel = channel }
            } catch {
                udp.stop()
                throw StartupError("cannot listen for metrics on \(address): \(error)")
            }
            if !address.isLoopback {
                logger.warning(
                    "metrics.listen \(address) is not a loopback address: anyone who can reach it can read the metrics")
            }
            logger.info("metrics at http://\(address)/metrics")
        }
        if passed.isEmpty {
            let addresses = config.listen.map(\.description).joined(separator: ", ")
            logger.info("listening on \(addresses) (UDP with \(workers) worker(s) per address, TCP)")
        }
        if let service {
            try await startControl(service, loops: loops, passedControl: passedControl?.fd, metrics: metrics,
                                   healthMetrics: healthMetrics, recordMetrics: exporter != nil)
        } else if let loading {
            let passedFD = passedControl?.fd
            let load = Task.detached { [self] in
                do {
                    let service = try await loading.value
                    guard self.parts.withLockedValue({ parts -> Bool in
                        if parts.stopRequested { return false }
                        parts.controlStarting = true
                        return true
                    }) else {
                        self.logger.info("state loaded while stopping: the control socket stays closed")
                        return
                    }
                    try await self.startControl(service, loops: loops, passedControl: passedFD, metrics: metrics,
                                                healthMetrics: healthMetrics, recordMetrics: exporter != nil)
                    self.logger.info("state loaded: the control socket is open")
                } catch {
                    self.logger.critical("\(error); exiting")
                    exit(1)
                }
            }
            parts.withLockedValue { $0.backgroundStart = load }
        }
    }

    /// The UDP workers' sockets: each passed socket shared by `workers` workers (no SO_REUSEPORT
    /// siblings there), or else `workers` sockets of our own per configured address.
    private func bindUDPSockets(passed: [Systemd.PassedSocket], workers: Int) throws -> [Int32] {
        var sockets: [Int32] = []
        if !passed.isEmpty {
            for socket in passed {
                sockets.append(socket.fd)
                for _ in 1..<workers { sockets.append(dup(socket.fd)) }
            }
            return sockets
        }
        do {
            for address in config.listen {
                for _ in 0..<workers {
                    let fd = address.withSockAddr { fo_bind_socket($0, $1, Int32(SOCK_DGRAM.rawValue), 1) }
                    guard fd >= 0 else {
                        throw StartupError("cannot listen on UDP \(address): \(String(cString: strerror(-fd)))")
                    }
                    sockets.append(fd)
                }
            }
        } catch {
            for fd in sockets { close(fd) }
            throw error
        }
        return sockets
    }

    /// The TCP listeners: the passed ones under socket activation, else one per configured address.
    /// On failure closes those already open.
    private func openTCPListeners(_ tcp: TCPServer, passed: [Systemd.PassedSocket], activated: Bool) async throws
        -> [Channel]
    {
        var channels: [Channel] = []
        do {
            if activated {
                for socket in passed { channels.append(try await tcp.adopt(listeningSocket: socket.fd)) }
            } else {
                for address in config.listen {
                    do {
                        channels.append(try await tcp.bind(address))
                    } catch {
                        throw StartupError("cannot listen on TCP \(address): \(error)")
                    }
                }
            }
        } catch {
            for channel in channels { try? await channel.close() }
            throw error
        }
        return channels
    }

    /// Runs `body` on a new thread and returns its result.
    static func onOwnThread<Value: Sendable>(
        named name: String, _ body: @escaping @Sendable () throws -> Value
    ) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.name = name
            thread.start()
        }
    }

    /// Loads the state; `scanned` gives the snapshot a fast start serves meanwhile, kept when it is what
    /// the loaded state serves.
    private func loadService(metrics: ServiceMetrics, scanned: @Sendable () -> ZoneSnapshot? = { nil }) throws -> FailoverService {
        do {
            let service = try FailoverService(
                stateDirectory: config.stateDirectory, zone: store.load().zone, ttl: config.ttl,
                defaultDelaySeconds: config.switchDelay, snapshots: store, logger: logger, metrics: metrics,
                compactAfter: config.compactAfter, scanned: scanned)
            parts.withLockedValue { $0.service = service }
            // Loading freed a lot in small pieces (the file's bytes, decoded values, a scanned
            // snapshot): hand the free pages back, else they stay resident (about 90 MiB at 1M groups).
            malloc_trim(0)
            return service
        } catch {
            throw StartupError("cannot load the state in \(config.stateDirectory): \(error.message)")
        }
    }

    /// Connects the loaded state to NOTIFY, IXFR history, metrics and the
    /// control socket, and starts the switch scheduler.
    private func startControl(_ service: FailoverService, loops: MultiThreadedEventLoopGroup, passedControl: Int32?,
                              metrics: ServiceMetrics, healthMetrics: HealthMetrics, recordMetrics: Bool) async throws {
        if recordMetrics {
            _ = await service.addListener { events, _, _, _ in metrics.record(events) }
        }
        let notifier = NotifySender(targets: config.notify, keys: config.transfer.keys, origin: config.origin,
                                    logger: logger)
        parts.withLockedValue { $0.notifier = notifier }
        let log = transferLog
        let pendingTTL = config.transfer.pendingTTL
        // IXFR history is kept only when someone may transfer the zone.
        let recordDeltas = !config.transfer.rules.isEmpty
        if recordDeltas {
            TransferLogFile.restore(into: log, directory: config.stateDirectory, servedSerial: store.load().serial,
                                    logger: logger)
        }
        await service.setPublishObserver { old, new, touched, zoneChanged in
            if zoneChanged {
                log.reset()
            } else if recordDeltas, old.serial != new.serial {
                let difference = ZoneRecords.difference(from: old, to: new, groups: touched, pendingTTL: pendingTTL)
                log.append(from: old.serial, to: new.serial, removed: difference.removed, added: difference.added)
            }
            if zoneChanged || old.serial != new.serial { notifier.notify(serial: new.serial) }
        }
        let monitor = HealthMonitor(service: service, quorum: HealthQuorum(required: config.healthQuorum),
                                    origin: config.origin, logger: logger, metrics: healthMetrics)
        parts.withLockedValue { $0.healthMonitor = monitor }
        let dispatcher = ControlDispatcher(service: service, snapshots: store, origin: config.origin, host: self,
                                           health: monitor)
        let control = ControlServer(
            settings: .init(path: config.controlSocket, allowUsers: config.controlAllowUsers,
                            allowGroups: config.controlAllowGroups, socketGroup: config.controlGroup,
                            maxConnections: config.controlMaxConnections,
                            idleTimeout: .milliseconds(Int64(config.controlIdleTimeout * 1000)),
                            watcherQueueLimit: config.controlWatcherQueue),
            dispatcher: dispatcher, group: loops, logger: logger, metrics: metrics)
        await service.startScheduler()
        await startHealthChecks(service, monitor: monitor, control: control, metrics: healthMetrics)
        do {
            try await control.start(adopting: passedControl)
        } catch {
            parts.withLockedValue { $0.udpServer }?.stop()
            throw StartupError("cannot open the control socket \(config.controlSocket): \(error)")
        }
        parts.withLockedValue { $0.controlServer = control }
        notifier.start()
        if !config.notify.isEmpty {
            notifier.notify(serial: store.load().serial)
            logger.info("NOTIFY targets: \(config.notify.map { $0.address.description }.joined(separator: ", "))")
        }
    }

    /// Starts the health policy and the checker (its own event loop), seeded with every app that has a check
    /// and kept in step with app.put and app.remove.
    private func startHealthChecks(_ service: FailoverService, monitor: HealthMonitor, control: ControlServer,
                                   metrics: HealthMetrics) async {
        monitor.addListener { events in control.publish(events) }
        await monitor.start()
        let runner = HealthCheckRunner(monitor: monitor, metrics: metrics, logger: logger,
                                       extraTrustRoots: healthTrustRoots,
                                       resolver: config.healthResolver.map { DNSHostResolver(server: $0) }
                                           ?? DNSHostResolver.system())
        parts.withLockedValue { $0.healthRunner = runner }
        _ = await service.addListener { events, _, _, _ in
            for event in events {
                switch event {
                case .appChanged(let app): runner.update(app)
                case .appRemoved(let id): runner.remove(id)
                default: break
                }
            }
        }
        let apps = (try? await service.read { $0.healthCheckedApps }) ?? []
        for app in apps { runner.update(app) }
        if !apps.isEmpty { logger.info("health checks: \(apps.count) apps") }
    }

    static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// Re-reads the configuration file (zone file, TTL) and swaps in the new
    /// zone. A broken file changes nothing and says why.
    public func reload() async throws(ControlError) -> JSONValue {
        var next = config
        if let configPath {
            do {
                next = try DaemonConfig.load(path: configPath)
            } catch {
                throw refuseReload("reload refused, still serving the old configuration: \(error)")
            }
        }
        let zone: StaticZone
        do {
            zone = try Self.loadZone(config: next)
        } catch {
            throw refuseReload("reload refused, still serving the old zone: \(error)")
        }
        guard let service else { throw .unavailable("the state is still loading; try again shortly") }
        await service.replaceZone(zone, ttl: next.ttl)
        statusState.withLockedValue { $0.reloadRefusal = nil }
        let snapshot = store.load()
        logger.info("reloaded: zone \(zone.origin) with \(zone.nodes.count) names, serial \(snapshot.serial)")
        return ControlResults.reloaded(zone: zone.origin.description, serial: snapshot.serial,
                                       staticRecords: zone.nodes.reduce(0) { $0 + $1.rrsets.reduce(0) { $0 + $1.rdatas.count } })
    }

    /// Logs a refused reload and keeps its reason for the status line.
    private func refuseReload(_ message: String) -> ControlError {
        logger.error("\(message)")
        statusState.withLockedValue { $0.reloadRefusal = message }
        return .badRequest(message)
    }

    /// One line for `systemctl status`: serial, groups, pending switches, queries/s, and
    /// why the last reload was refused while the old zone still serves.
    func statusLine() async -> String {
        let snapshot = store.load()
        let pending = await self.service?.summary.pendingSwitches ?? 0
        let answered = counters.udpAnswered.load(ordering: .relaxed) + counters.tcpAnswered.load(ordering: .relaxed)
        let now = ContinuousClock.now
        let (rate, refusal) = statusState.withLockedValue { state -> (Double, String?) in
            defer { state.lastRate = (answered, now) }
            guard let last = state.lastRate else { return (0, state.reloadRefusal) }
            let seconds = max(0.001, (now - last.at) / .seconds(1))
            return (Double(answered - last.answered) / seconds, state.reloadRefusal)
        }
        let line = "serial \(snapshot.serial), \(snapshot.groups.count) groups, \(pending) pending switches, \(Int(rate)) queries/s"
        return refusal.map { "\($0); \(line)" } ?? line
    }

    /// What the status line remembers between calls (the monitor and SIGHUP both write it).
    private struct StatusState {
        var lastRate: (answered: Int, at: ContinuousClock.Instant)? = nil
        /// Set by a refused reload, cleared by the next good one: shown until then.
        var reloadRefusal: String? = nil
    }

    private let statusState = NIOLockedValueBox(StatusState())

    /// Pings the watchdog while every UDP worker makes progress, and refreshes
    /// the status line.
    private func startMonitor() -> Task<Void, Never> {
        let interval = Systemd.watchdogInterval
        let period = interval.map { max(0.05, $0 / 3) } ?? 5
        // Read once: a reload changes neither, and `config` is not the monitor's to read.
        let rotatesCookies = config.cookieSecret == nil
        let cookieRotation = config.cookieRotation
        return Task { [weak self] in
            var last: [Int] = []
            var sinceStatus = 0.0
            var sinceRotation = 0.0
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int64(period * 1000)))
                guard let self, let udp = self.parts.withLockedValue({ $0.udpServer }) else { return }
                let beats = udp.heartbeatValues()
                let alive = last.isEmpty || zip(beats, last).allSatisfy { $0 != $1 }
                if interval != nil {
                    if alive {
                        Systemd.watchdog()
                    } else {
                        self.logger.error("a UDP worker made no progress for \(Int(period * 1000)) ms: withholding the watchdog ping")
                    }
                }
                last = beats
                sinceRotation += period
                if rotatesCookies, sinceRotation >= cookieRotation {
                    sinceRotation = 0
                    self.parts.withLockedValue { $0.cookieStore }?.rotate()
                }
                sinceStatus += period
                if sinceStatus >= 5 {
                    sinceStatus = 0
                    Systemd.status(await self.statusLine())
                }
            }
        }
    }

    /// The gauges of a scrape.
    func metricsState() async -> MetricsExporter.State {
        let snapshot = store.load()
        let running = parts.withLockedValue { $0 }
        guard let summary = await running.service?.summary else { return MetricsExporter.State(serial: snapshot.serial) }
        var state = MetricsExporter.State(
            apps: summary.apps, groups: summary.groups, pendingSwitches: summary.pendingSwitches,
            serial: snapshot.serial, tcpConnections: running.tcpServer?.connectionCount ?? 0,
            udpReceiveBufferDrops: running.udpServer?.receiveBufferDrops() ?? 0)
        if let monitor = running.healthMonitor {
            state.health = Dictionary(uniqueKeysWithValues: monitor.stateCounts().map { ($0.key.rawValue, $0.value) })
            state.failoverBlocked = monitor.blockedCount
        }
        return state
    }

    public func controlStatistics() async -> ControlStatistics {
        let control = parts.withLockedValue { $0.controlServer }
        return ControlStatistics(connections: control?.connectionCount ?? 0, watchers: control?.watcherCount ?? 0,
                                 counters: counterValues())
    }

    func counterValues() -> [String: UInt64] {
        [
            "dns.udp.answered": UInt64(counters.udpAnswered.load(ordering: .relaxed)),
            "dns.udp.dropped": UInt64(counters.udpDropped.load(ordering: .relaxed)),
            "dns.tcp.answered": UInt64(counters.tcpAnswered.load(ordering: .relaxed)),
            "dns.tcp.dropped": UInt64(counters.tcpDropped.load(ordering: .relaxed)),
            "dns.tcp.refused_connections": UInt64(counters.tcpConnectionsRefused.load(ordering: .relaxed)),
        ]
    }

    /// Stops serving: closes listeners, lets workers finish.
    public func stop() async {
        let (waitForControl, backgroundStart) = parts.withLockedValue { parts in
            parts.stopRequested = true
            return (parts.controlStarting, parts.backgroundStart)
        }
        if waitForControl { await backgroundStart?.value }
        let running = parts.withLockedValue { $0 }
        running.notifier?.stop()
        running.healthMonitor?.stop()
        await running.healthRunner?.shutdown()
        parts.withLockedValue { $0.healthRunner = nil }
        await self.service?.stopScheduler()
        await running.controlServer?.stop()
        parts.withLockedValue { $0.controlServer = nil }
        try? await running.metricsChannel?.close()
        parts.withLockedValue { $0.metricsChannel = nil }
        for channel in running.tcpChannels { try? await channel.close() }
        parts.withLockedValue { $0.tcpChannels = [] }
        running.udpServer?.stop()
        parts.withLockedValue { $0.udpServer = nil }
        try? await running.eventLoops?.shutdownGracefully()
        parts.withLockedValue { $0.eventLoops = nil }
        // A checkpoint with an empty journal lets the next start serve a large
        // state straight from the file.
        guard let service = self.service else { return }
        if await service.journalRecords > 0 { await service.compact() }
        await service.drainAudit()
        if !config.transfer.rules.isEmpty {
            TransferLogFile.save(transferLog, directory: config.stateDirectory, logger: logger)
        }
    }

    /// Runs until SIGTERM or SIGINT.
    public func run() async throws {
        try await start()
        logger.info("ready")
        Systemd.ready(status: await statusLine())
        let monitor = startMonitor()
        let signal = await Self.waitForTermination { [weak self] in
            guard let self else { return }
            Task {
                Systemd.reloading()
                do throws(ControlError) {
                    _ = try await self.reload()
                } catch {
                    // Logged by reload; the old zone stays, and the status says so until a good reload.
                    _ = error
                }
                Systemd.ready(status: await self.statusLine())
            }
        }
        monitor.cancel()
        Systemd.stopping()
        logger.info("received \(signal), shutting down")
        await stop()
        logger.info("stopped")
    }
}
