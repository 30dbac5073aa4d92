import CNetShim
import DNSWire
import Foundation
import Logging
import NIOConcurrencyHelpers
import ZoneTransfer

#if canImport(Glibc)
import Glibc
#endif

/// A secondary to tell about new serials.
public struct NotifyTarget: Sendable, Equatable {
    public var address: ListenAddress
    public var keyName: DomainName?

    public init(address: ListenAddress, keyName: DomainName?) {
        self.address = address
        self.keyName = keyName
    }
}

/// Sends NOTIFY (RFC 1996) to every secondary when the serial changes:
/// coalesced (a burst of commits sends one NOTIFY for the newest serial),
/// retried with exponential backoff until the secondary answers, signed with
/// TSIG when the target has a key. One thread, one UDP socket per target.
public final class NotifySender: Sendable {
    /// Wait between sends for one target: commits within it share a NOTIFY.
    static let coalesceWindow = Duration.milliseconds(50)
    /// First retry after 1 s, doubling: 1, 2, 4, 8, 16 s (RFC 1996 3.6 leaves it to us).
    static let firstRetry = Duration.seconds(1)
    static let maxAttempts = 6

    struct Target {
        var target: NotifyTarget
        var key: TSIGKey?
        var fd: Int32
        var pendingSerial: UInt32? = nil
        var attempts = 0
        /// Monotonic, so a stepped wall clock neither fires retries early nor stalls them.
        var nextAttempt = ContinuousClock.now
        var lastSent: ContinuousClock.Instant? = nil
        var id: UInt16 = 0
        var sentSerial: UInt32 = 0
    }

    private struct State {
        var targets: [Target] = []
        var running = false
        /// NOTIFYs answered, for tests and stats.
        var acknowledged = 0
    }

    private let state: NIOLockedValueBox<State>
    /// One connected socket per target, in target order; closed by the thread when it stops.
    private let sockets: [Int32]
    private let origin: DomainName
    private let logger: Logger
    /// NOTIFYs answered, for tests and stats.
    public var acknowledged: Int { state.withLockedValue { $0.acknowledged } }

    public init(targets: [NotifyTarget], keys: [TSIGKey], origin: DomainName, logger: Logger) {
        self.origin = origin
        self.logger = logger
        var list: [Target] = []
        for target in targets {
            let fd = socket(target.address.isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { continue }
            _ = target.address.withSockAddr { connect(fd, $0, $1) }
            let key = target.keyName.flatMap { name in keys.first { $0.name == name } }
            list.append(Target(target: target, key: key, fd: fd))
        }
        sockets = list.map(\.fd)
        state = NIOLockedValueBox(State(targets: list))
    }

    public func start() {
        guard !sockets.isEmpty else { return }
        state.withLockedValue { $0.running = true }
        let thread = Thread { [self] in loop() }
        thread.name = "notify"
        thread.start()
    }

    public func stop() {
        state.withLockedValue { $0.running = false }
    }

    /// Tells every target about `serial` (replacing an older pending one).
    public func notify(serial: UInt32) {
        state.withLockedValue { state in
            for index in state.targets.indices {
                state.targets[index].pendingSerial = serial
                state.targets[index].attempts = 0
                let now = ContinuousClock.now
                state.targets[index].nextAttempt =
                    state.targets[index].lastSent.map { max(now, $0 + Self.coalesceWindow) } ?? now
            }
        }
    }

    private func loop() {
        while let wake = sendDue() {
            let answers = Self.receive(sockets, until: wake)
            state.withLockedValue { state in
                for (fd, bytes) in answers { handle(bytes, from: fd, in: &state) }
            }
        }
        for fd in sockets { close(fd) }
    }

    /// Sends what is due and returns when to look again; nil once stopped.
    private func sendDue() -> ContinuousClock.Instant? {
        state.withLockedValue { state -> ContinuousClock.Instant? in
            guard state.running else { return nil }
            let now = ContinuousClock.now
            var wake = now + .milliseconds(500)
            for index in state.targets.indices {
                guard let serial = state.targets[index].pendingSerial else { continue }
                if state.targets[index].nextAttempt <= now {
                    if state.targets[index].attempts >= Self.maxAttempts {
                        logger.warning("NOTIFY of serial \(serial) to \(state.targets[index].target.address) got no answer after \(Self.maxAttempts) tries")
                        state.targets[index].pendingSerial = nil
                        continue
                    }
                    send(&state.targets[index], serial: serial)
                    state.targets[index].attempts += 1
                    state.targets[index].lastSent = now
                    state.targets[index].nextAttempt = now + Self.firstRetry * (1 << (state.targets[index].attempts - 1))
                }
                wake = min(wake, state.targets[index].nextAttempt)
            }
            return wake
        }
    }

    /// Takes a reply to a NOTIFY: an acknowledgement, or a refusal that ends the retries.
    private func handle(_ bytes: [UInt8], from fd: Int32, in state: inout State) {
        guard let index = state.targets.firstIndex(where: { $0.fd == fd }), let header = bytes.withUnsafeBytes({ DNSHeader(bytes: $0) }),
            header.isResponse, header.opcode == .notify, header.id == state.targets[index].id
        else { return }
        if header.rcode == 0 {
            state.acknowledged += 1
            logger.debug("NOTIFY of serial \(state.targets[index].sentSerial) acknowledged by \(state.targets[index].target.address)")
            if state.targets[index].pendingSerial == state.targets[index].sentSerial { state.targets[index].pendingSerial = nil }
        } else {
            logger.warning("\(state.targets[index].target.address) answered NOTIFY with rcode \(ResponseCode(rawValue: UInt16(header.rcode)))")
            state.targets[index].pendingSerial = nil
        }
    }

    private func send(_ target: inout Target, serial: UInt32) {
        target.id = UInt16.random(in: 0...UInt16.max)
        target.sentSerial = serial
        var header = DNSHeader(id: target.id)
        header.opcode = .notify
        header.isAuthoritative = true
        var message = Message(header: header, questions: [Question(name: origin, type: .soa)]).serialize()
        if let key = target.key {
            message = TSIG.sign(message, key: key, priorMAC: nil, now: UInt64(Date().timeIntervalSince1970),
                                subsequent: false).message
        }
        _ = message.withUnsafeBytes { Glibc.send(target.fd, $0.baseAddress, $0.count, 0) }
    }

    /// Waits for replies on the sockets until `deadline`.
    private static func receive(_ fds: [Int32], until deadline: ContinuousClock.Instant) -> [(Int32, [UInt8])] {
        var polls = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let timeout = Int32(max(0, min(500, ContinuousClock.now.duration(to: deadline) / .milliseconds(1))))
        guard poll(&polls, nfds_t(polls.count), timeout) > 0 else { return [] }
        var replies: [(Int32, [UInt8])] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        for entry in polls where entry.revents & Int16(POLLIN) != 0 {
            let count = recv(entry.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 { replies.append((entry.fd, Array(buffer[0..<count]))) }
        }
        return replies
    }
}
