import FailoverApplication
import FailoverCore
import Foundation
import Glibc
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// Runs the daemon's own health checks: one event loop of its own (never the DNS or control loops), one
/// repeated timer per checked app with a random first delay (so 10,000 apps with the same interval do not all
/// fire in the same millisecond), and at most ``maxInFlight`` checks open at once; the rest wait their turn.
///
/// A round checks every address of the web head: the listed addresses, or what its hostname resolves to
/// (``HostResolver``, on a thread of its own), kept as long as the answer's TTL says within
/// ``ResolvedHosts/minimumSeconds`` and ``ResolvedHosts/maximumSeconds``. Checks go only to those
/// addresses, on the check's port.
///
/// All mutable state lives in ``state``, bound to ``loop`` (every access checks it is on that loop).
public final class HealthCheckRunner: Sendable {
    /// Open checks at most: bounds sockets and memory whatever the number of apps (10,000 apps at a 10 s
    /// interval and a 50 ms check need about 50 at a time).
    public static let maxInFlight = 256

    private struct Target {
        var app: App
        var task: RepeatedTask
        var generation: Int
        var running = false
    }

    /// What changes as checks run; only ever touched on ``loop``.
    private struct State {
        var targets: [AppID: Target] = [:]
        var generation = 0
        var inFlight = 0
        var waiting = CircularBuffer<EventLoopPromise<Void>>()
        var verifying: NIOSSLContext?
        var insecure: NIOSSLContext?
        var resolved = ResolvedHosts()
    }

    private let group: MultiThreadedEventLoopGroup
    private let loop: any EventLoop
    private let state: NIOLoopBoundBox<State>
    private let resolverThread: NIOThreadPool
    private let resolver: any HostResolver
    private let monitor: HealthMonitor
    private let metrics: HealthMetrics
    private let logger: Logger
    private let extraTrustRoots: [NIOSSLCertificate]

    /// `extraTrustRoots`: CA certificates HTTPS checks trust besides the system store (`health.ca-file`).
    public init(monitor: HealthMonitor, metrics: HealthMetrics, logger: Logger,
                extraTrustRoots: [NIOSSLCertificate] = [], resolver: any HostResolver = DNSHostResolver.system()) {
        self.extraTrustRoots = extraTrustRoots
        self.resolver = resolver
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        loop = group.next()
        state = .makeBoxSendingValue(State(), eventLoop: loop)
        resolverThread = NIOThreadPool(numberOfThreads: 1)
        resolverThread.start()
        self.monitor = monitor
        self.metrics = metrics
        self.logger = logger
    }

    /// Checked apps now.
    public func count() async -> Int {
        (try? await loop.submit { self.state.value.targets.count }.get()) ?? 0
    }

    /// Starts or restarts checking `app` (a new or changed check or web head); stops when it has no check.
    public func update(_ app: App) {
        loop.execute { self.apply(app) }
    }

    /// Stops checking the app `id` (removed).
    public func remove(_ id: AppID) {
        loop.execute {
            self.state.value.targets.removeValue(forKey: id)?.task.cancel()
            self.monitor.setChecked(id, false)
        }
    }

    public func shutdown() async {
        try? await loop.submit {
            for target in self.state.value.targets.values { target.task.cancel() }
            self.state.value.targets = [:]
        }.get()
        try? await group.shutdownGracefully()
        try? await resolverThread.shutdownGracefully()
    }

    private func apply(_ app: App) {
        if let old = state.value.targets[app.id] {
            if old.app == app { return }
            old.task.cancel()
            state.value.targets[app.id] = nil
        }
        guard let check = app.healthCheck else {
            monitor.setChecked(app.id, false)
            return
        }
        monitor.setChecked(app.id, true)
        state.value.generation += 1
        let current = state.value.generation
        let interval = Int64(check.interval) * 1000
        let task = loop.scheduleRepeatedTask(
            initialDelay: .milliseconds(Int64.random(in: 0..<interval)), delay: .milliseconds(interval)
        ) { [weak self] _ in self?.round(app.id, generation: current) }
        state.value.targets[app.id] = Target(app: app, task: task, generation: current)
    }

    private func round(_ id: AppID, generation: Int) {
        guard let target = state.value.targets[id], target.generation == generation, !target.running,
            let check = target.app.healthCheck
        else { return }
        state.value.targets[id]?.running = true
        let host: String?
        let addresses: EventLoopFuture<[SocketAddress]>
        switch target.app.webHead {
        case nil:
            finish(id, generation, check, CheckRound(outcomes: [], error: "the app has no web head"))
            return
        case .addresses(let list):
            host = check.host
            addresses = loop.makeCompletedFuture {
                try list.map { try SocketAddress(ipAddress: $0.description, port: Int(check.port)) }
            }
        case .hostname(let name):
            host = check.host ?? name
            addresses = self.addresses(of: name).flatMapThrowing { list in
                try list.map { try SocketAddress(ipAddress: $0, port: Int(check.port)) }
            }
        }
        let tls = check.kind == .https ? context(insecure: check.insecure) : nil
        addresses.whenComplete { result in
            switch result {
            case .failure(let error):
                self.finish(id, generation, check, CheckRound(outcomes: [], error: "\(error)"))
            case .success(let list) where list.isEmpty:
                self.finish(id, generation, check, CheckRound(outcomes: [], error: "the web head has no address"))
            case .success(let list):
                let probes = list.map { address in
                    self.probe(check, address: address, host: host, tls: tls, for: id, generation: generation)
                }
                EventLoopFuture.whenAllSucceed(probes, on: self.loop).whenSuccess { outcomes in
                    self.finish(id, generation, check, CheckRound(outcomes: outcomes))
                }
            }
        }
    }

    private func finish(_ id: AppID, _ generation: Int, _ check: HealthCheck, _ round: CheckRound) {
        guard state.value.targets[id]?.generation == generation else { return }
        state.value.targets[id]?.running = false
        monitor.record(id, round: round, check: check)
    }

    /// One probe, once a slot is free. A probe still waiting for its slot when its app's check was changed or removed is dropped: a backlog
    /// of queued probes never outlives the check that made it.
    private func probe(_ check: HealthCheck, address: SocketAddress, host: String?, tls: NIOSSLContext?,
                       for id: AppID, generation: Int) -> EventLoopFuture<CheckRound.Outcome>
    {
        acquire().flatMap {
            guard self.state.value.targets[id]?.generation == generation else {
                return self.loop.makeSucceededFuture(
                    CheckRound.Outcome(address: address.ipAddress ?? "\(address)", passed: false, error: "check changed"))
            }
            let started = ContinuousClock.now
            return HealthProbe.run(check, address: address, host: host, tls: tls, on: self.loop).map { outcome in
                self.metrics.check(type: check.kind.rawValue, passed: outcome.passed,
                                   duration: ContinuousClock.now - started)
                return outcome
            }
        }.always { _ in self.release() }
    }

    private func acquire() -> EventLoopFuture<Void> {
        if state.value.inFlight < Self.maxInFlight {
            state.value.inFlight += 1
            return loop.makeSucceededVoidFuture()
        }
        let promise = loop.makePromise(of: Void.self)
        state.value.waiting.append(promise)
        return promise.futureResult
    }

    private func release() {
        if let next = state.value.waiting.popFirst() {
            next.succeed()
        } else {
            state.value.inFlight -= 1
        }
    }

    /// The TLS context: verifying against the system trust store and `health.ca-file`, or not verifying
    /// (`insecure`). Made once.
    private func context(insecure skip: Bool) -> NIOSSLContext? {
        if let made = skip ? state.value.insecure : state.value.verifying { return made }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if skip {
            configuration.certificateVerification = .none
        } else if !extraTrustRoots.isEmpty {
            configuration.additionalTrustRoots = [.certificates(extraTrustRoots)]
        }
        do {
            let made = try NIOSSLContext(configuration: configuration)
            if skip { state.value.insecure = made } else { state.value.verifying = made }
            return made
        } catch {
            logger.error("cannot set up TLS for health checks: \(error)")
            return nil
        }
    }

    /// The addresses of `name`: cached while fresh, else resolved on the resolver thread (one at a time, so a
    /// slow resolver delays rounds but never piles up threads).
    private func addresses(of name: String) -> EventLoopFuture<[String]> {
        let now = Self.monotonicMilliseconds()
        if let fresh = state.value.resolved.fresh(name, now: now) { return loop.makeSucceededFuture(fresh) }
        let resolver = self.resolver
        return resolverThread.runIfActive(eventLoop: loop) { try resolver.resolve(name) }.map { answer in
            self.state.value.resolved.store(name, answer, now: Self.monotonicMilliseconds())
            return answer.addresses
        }
    }

    /// A clock that never steps, for how long a resolution is kept.
    private static func monotonicMilliseconds() -> Int64 { Int64(NIODeadline.now().uptimeNanoseconds / 1_000_000) }

    /// Names resolved and kept now (a test looks).
    func resolvedCount() async -> Int {
        (try? await loop.submit { self.state.value.resolved.count }.get()) ?? 0
    }
}
