import DNSWire
import FailoverControl
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Load generators that never wait for answers: UDP blasters on non-blocking
/// sockets, and a pump that keeps TCP and control connections full of
/// requests without ever reading a reply.
final class Flood: @unchecked Sendable {
    private let lock = NSLock()
    private var stopping = false
    private var sentCounts: [Int] = []
    private var targetRate: Double? = nil
    private let finished = DispatchGroup()

    var isStopping: Bool { lock.withLock { stopping } }
    /// Datagrams the kernel accepted from the blasters.
    var sent: Int { lock.withLock { sentCounts.reduce(0, +) } }
    /// Datagrams a second the blasters aim at, all together; nil: as fast as they can.
    var rate: Double? {
        get { lock.withLock { targetRate } }
        set { lock.withLock { targetRate = newValue } }
    }

    /// `threads` threads, each with its own connected non-blocking UDP socket,
    /// sending `queries` round-robin at `rate` (changeable while they run)
    /// until `stop()`.
    func blastUDP(to server: Endpoint, threads: Int, queries: [[UInt8]]) throws {
        for index in 0..<threads {
            let fd = socket(server.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0, server.withSockAddr({ connect(fd, $0, $1) }) == 0 else {
                throw ClientError.errno("UDP socket")
            }
            lock.withLock { sentCounts.append(0) }
            finished.enter()
            let thread = Thread { [self] in
                var sent = 0
                var next = 0
                // Datagrams this thread may send now: earned at its share of the rate, capped (no bursts).
                var credit = 0.0
                var last = Date()
                while true {
                    if let rate = self.rate, rate > 0 {
                        let perThread = rate / Double(threads)
                        let now = Date()
                        credit = min(credit + now.timeIntervalSince(last) * perThread, 4096)
                        last = now
                        if credit < 64 { usleep(UInt32((64 - credit) / perThread * 1_000_000)) }
                        credit -= 64
                    }
                    for _ in 0..<64 {
                        let query = queries[next]
                        next = (next + 1) % queries.count
                        if query.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) > 0 { sent += 1 }
                    }
                    lock.withLock { sentCounts[index] = sent }
                    if isStopping { break }
                }
                lock.withLock { sentCounts[index] = sent }
                close(fd)
                finished.leave()
            }
            thread.name = "udp-blaster-\(index)"
            thread.start()
        }
    }

    /// Keeps writing `payload` to each non-blocking `fd` whenever it has room; never reads.
    func pump(_ fds: [Int32], payload: [UInt8]) {
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        finished.enter()
        let thread = Thread { [self] in
            var offsets = [Int](repeating: 0, count: fds.count)
            while !isStopping {
                for (index, fd) in fds.enumerated() {
                    while true {
                        let count = payload.withUnsafeBytes {
                            send(fd, $0.baseAddress! + offsets[index], $0.count - offsets[index], Int32(MSG_NOSIGNAL))
                        }
                        if count <= 0 { break }
                        offsets[index] = (offsets[index] + count) % payload.count
                    }
                }
                usleep(10_000)
            }
            finished.leave()
        }
        thread.name = "pump"
        thread.start()
    }

    func stop() {
        lock.withLock { stopping = true }
        finished.wait()
    }
}

extension Integration {
    /// Far more work than the daemon can do, from every side at once: it
    /// answers what it can, drops the rest, and its memory stays bounded.
    @Suite struct OverloadTests {
        /// How long the flood lasts.
        static let floodSeconds = 10.0

        /// Kernel drops on the daemon's UDP sockets bound to `port` (/proc/PID/net/udp, last column).
        static func udpSocketDrops(pid: Int32, port: UInt16) -> Int {
            var total = 0
            for file in ["udp", "udp6"] {
                guard let text = try? String(contentsOfFile: "/proc/\(pid)/net/\(file)", encoding: .utf8) else {
                    continue
                }
                let portHex = ":" + String(format: "%04X", port)
                for line in text.split(separator: "\n").dropFirst() {
                    let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                    guard fields.count > 2, fields[1].hasSuffix(portHex), let drops = Int(fields.last!) else {
                        continue
                    }
                    total += drops
                }
            }
            return total
        }

        static let udpAnswers = "failoverd_dns_queries_total{transport=\"udp\""

        static func sum(_ samples: [String: Double], _ prefix: String) -> Double {
            samples.filter { $0.key.hasPrefix(prefix) }.values.reduce(0, +)
        }

        @Test(
            "Under a UDP, TCP and control flood far past what it serves, memory stays bounded, work is dropped, dig still answers"
        )
        func floodFromEverySide() throws {
            let (daemon, metrics) = try DaemonProcess.withMetrics(zone: TestZone.text, label: "overload")
            defer { daemon.stop() }
            let client = try daemon.control()

            // Warm up every path once so the baseline includes its steady-state memory.
            for index in 0..<200 {
                _ = try ask(QuerySpec(name: "www.example.test", type: .a, id: UInt16(index)), at: daemon.ipv4)
            }
            _ = try ask(QuerySpec(name: "www.example.test", type: .a, tcp: true), at: daemon.ipv4)
            _ = try client.call(
                op: .appPut, args: ["app": "web", "name": "Shop", "web_head": ["hostname": "lb.example.net"]])
            usleep(500_000)
            let rssBefore = try #require(daemon.residentKilobytes())
            let before = try scrape(metrics).samples
            let dropsBefore = Self.udpSocketDrops(pid: daemon.pid, port: daemon.port)

            // A mix of answers (A, NXDOMAIN, SOA; half with EDNS).
            let queries = (0..<64).map { index -> [UInt8] in
                let names = ["www.example.test", "nothing-\(index).example.test", "example.test"]
                var spec = QuerySpec(name: names[index % 3], type: index % 3 == 2 ? .soa : .a, id: UInt16(index))
                if index % 2 == 0 { spec.edns = 1232 }
                return spec.bytes()
            }
            // TCP: 40 connections from 127.0.0.1, past the 32 allowed per source (8 closed at once).
            var tcpClients: [TCPClient]? = (0..<40).compactMap { _ in try? TCPClient(server: daemon.ipv4) }
            usleep(300_000)
            let refused =
                (try scrape(metrics).samples["failoverd_tcp_connections_refused_total"] ?? 0)
                - (before["failoverd_tcp_connections_refused_total"] ?? 0)

            let flood = Flood()
            // UDP from three sockets, never reading the answers, at three times what the daemon
            // answered in the last half second: the daemon's share of the 2 CPUs depends on
            // the load generator's, so a fixed rate is either too little or starves it.
            flood.rate = 60_000
            try flood.blastUDP(to: daemon.ipv4, threads: 3, queries: queries)
            let controller = Thread {
                var last = Self.sum(before, Self.udpAnswers)
                while !flood.isStopping {
                    usleep(500_000)
                    guard let now = try? scrape(metrics).samples else { continue }
                    let answered = Self.sum(now, Self.udpAnswers)
                    flood.rate = max(3 * (answered - last) / 0.5, 3000)
                    last = answered
                }
            }
            controller.start()
            // The 40 TCP connections pipeline queries and never read.
            let tcpPayload = (0..<100).flatMap { TCPClient.frame(queries[$0 % queries.count]) }
            // Control: 8 clients pipelining requests without reading, and a watcher that never reads.
            var stalledWatcher: RawControl? = try RawControl(path: daemon.controlSocket, receiveBuffer: 4096)
            try stalledWatcher!.send(#"{"id":"w","op":"watch"}"# + "\n")
            var pipeliners: [RawControl]? = try (0..<8).map { _ in
                try RawControl(path: daemon.controlSocket, receiveBuffer: 4096)
            }
            let controlPayload = (0..<50).flatMap { index in
                Array(
                    (index % 10 == 0
                        ? #"{"id":\#(index),"op":"app.put","args":{"app":"flood","name":"F\#(index)","web_head":{"hostname":"h\#(index).example.net"}}}"#
                        : #"{"id":\#(index),"op":"stats"}"#).utf8) + [UInt8(ascii: "\n")]
            }
            flood.pump(tcpClients!.map(\.fd), payload: tcpPayload)
            flood.pump(pipeliners!.map(\.fd), payload: controlPayload)

            // During: sample RSS; dig over UDP (with retries: the socket buffer overflows) and TCP from ::1.
            let started = Date()
            // RSS every 100 ms on a thread of its own, whatever the probes below wait for.
            let peak = LockedBox(rssBefore)
            let pid = daemon.pid
            let sampler = Thread {
                while Date().timeIntervalSince(started) < Self.floodSeconds + 1 {
                    if let rss = residentKilobytes(pid: pid) { peak.update { $0 = max($0, rss) } }
                    usleep(100_000)
                }
            }
            sampler.start()
            var udpDigs = (asked: 0, answered: 0)
            var tcpDigs = (asked: 0, answered: 0)
            var scrapes = (asked: 0, answered: 0)
            var hellos = (asked: 0, answered: 0)
            var probeSeconds = 0.0
            while Date().timeIntervalSince(started) < Self.floodSeconds {
                let probeStarted = Date()
                udpDigs.asked += 1
                if let reply = try? Dig.query(
                    .dig, server: daemon.ipv4, name: "www.example.test", type: "A",
                    options: ["+tries=3", "+time=1"]), reply.status == "NOERROR"
                {
                    udpDigs.answered += 1
                }
                tcpDigs.asked += 1
                if let reply = try? Dig.query(
                    .dig, server: daemon.ipv6, name: "www.example.test", type: "A",
                    options: ["+tcp", "+tries=2"]), reply.status == "NOERROR"
                {
                    tcpDigs.answered += 1
                }
                scrapes.asked += 1
                if (try? scrape(metrics))?.status == 200 { scrapes.answered += 1 }
                hellos.asked += 1
                if (try? client.call(op: .hello))?["server"] == "failoverd" { hellos.answered += 1 }
                probeSeconds = max(probeSeconds, Date().timeIntervalSince(probeStarted))
                usleep(250_000)
            }
            let sent = flood.sent
            let elapsed = Date().timeIntervalSince(started)
            flood.stop()
            while Date().timeIntervalSince(started) < Self.floodSeconds + 1.2 { usleep(50_000) }
            let rssPeak = peak.value
            let during = try scrape(metrics).samples
            let dropsDuring = Self.udpSocketDrops(pid: daemon.pid, port: daemon.port) - dropsBefore
            let watcherCutOff = stalledWatcher!.waitForHangUp(timeout: 0.1)
            let tcpConnections = tcpClients!.count
            (tcpClients, pipeliners, stalledWatcher) = (nil, nil, nil)

            // After: the connections are gone; memory returns near the baseline, answers are normal.
            usleep(3_000_000)
            let rssAfter = daemon.residentKilobytes() ?? 0
            let answered = Self.sum(during, Self.udpAnswers) - Self.sum(before, Self.udpAnswers)
            let tcpAnswered =
                Self.sum(during, "failoverd_dns_queries_total{transport=\"tcp\"")
                - Self.sum(before, "failoverd_dns_queries_total{transport=\"tcp\"")
            let controlRequests =
                Self.sum(during, "failoverd_control_requests_total")
                - Self.sum(before, "failoverd_control_requests_total")
            print(
                """
                [overload] flood \(String(format: "%.1f", elapsed)) s: UDP sent \(sent) (\(Int(Double(sent) / elapsed))/s), \
                answered \(Int(answered)) (\(Int(answered / elapsed))/s), kernel drops \(dropsDuring) \
                (metric \(Int((during["failoverd_udp_receive_buffer_drops_total"] ?? 0) - (before["failoverd_udp_receive_buffer_drops_total"] ?? 0)))); \
                TCP answered \(Int(tcpAnswered)), connections refused \(Int(refused)); control requests \(Int(controlRequests)); \
                watcher cut off: \(watcherCutOff); metrics scrapes \(scrapes.answered)/\(scrapes.asked), \
                control hello \(hellos.answered)/\(hellos.asked) (slowest round \(String(format: "%.1f", probeSeconds)) s); dig UDP \(udpDigs.answered)/\(udpDigs.asked), TCP \(tcpDigs.answered)/\(tcpDigs.asked); \
                RSS \(rssBefore) kB -> peak \(rssPeak) kB -> \(rssAfter) kB after
                """)
            #expect(
                Double(sent) >= 2 * answered,
                "the flood (\(sent)) was not twice what the daemon answered (\(Int(answered)))")
            #expect(dropsDuring > 0, "no UDP drops under a 2x flood")
            // The same drops on GET /metrics (read from /proc for the daemon's sockets).
            let metricDrops =
                (during["failoverd_udp_receive_buffer_drops_total"] ?? 0)
                - (before["failoverd_udp_receive_buffer_drops_total"] ?? 0)
            #expect(
                metricDrops > 0 && Int(metricDrops) <= dropsDuring,
                "failoverd_udp_receive_buffer_drops_total grew by \(metricDrops)")
            #expect(tcpConnections == 40 && refused >= 8, "40 connections from one source: \(Int(refused)) refused")
            // Measured on the 2-core VM (debug build, 6 runs): +9 to +16 MB at the peak, +6 to +10 MB
            // after. The TCP handler that answered every query it had read, each in a 64 KiB
            // buffer, reached +44 MB here (+41 MB after) and grows with connections and flood
            // length: an unbounded queue passes these bounds well before the end.
            #expect(rssPeak - rssBefore < 32 * 1024, "RSS grew by \(rssPeak - rssBefore) kB under the flood")
            #expect(
                rssAfter - rssBefore < 20 * 1024,
                "RSS stayed \(rssAfter - rssBefore) kB above the baseline after the flood")
            // Two of three datagrams to the flooded socket are dropped, dig's among them.
            #expect(udpDigs.answered >= 1, "dig over UDP never got an answer during the flood: \(udpDigs)")
            #expect(tcpDigs.answered == tcpDigs.asked, "dig over TCP (::1) during the flood: \(tcpDigs)")
            // The kernel may still hold flood datagrams queued ahead of dig's: allow a few tries.
            var reply = try? daemon.dig("www.example.test", "A")
            for _ in 0..<3 where reply == nil { reply = try? daemon.dig("www.example.test", "A") }
            let after = try #require(reply, "dig got no answer after the flood:\n\(daemon.log())")
            #expect(after.status == "NOERROR" && after.answers(ofType: "A").count == 1, Comment(rawValue: after.raw))
            #expect(try client.call(op: .hello)["server"] == "failoverd")
            #expect(daemon.isRunning)
        }
    }
}

/// A value shared with a sampling thread.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func update(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}
