import DNSWire
import FailoverControl
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// The Prometheus endpoint, scraped with a plain HTTP GET after known traffic.
    @Suite struct MetricsTests {
        @Test("Known DNS traffic, garbage and control operations show up as exact counts on GET /metrics")
        func countersAfterKnownTraffic() throws {
            let (daemon, endpoint) = try DaemonProcess.withMetrics(zone: ControlZone.text, label: "metrics")
            defer { daemon.stop() }

            // DNS: 7 A NOERROR and 3 NXDOMAIN over UDP, 5 packets that get no answer, 2 SOA over TCP.
            let udp = try UDPClient(server: daemon.ipv4)
            var id: UInt16 = 100
            func query(_ name: String, _ type: RecordType) -> [UInt8] {
                id += 1
                return QuerySpec(name: name, type: type, id: id).bytes()
            }
            for _ in 0..<6 {
                let reply = try Message(bytes: try udp.exchange(query("ns1.example.test", .a)))
                #expect(reply.header.rcode == 0 && reply.answers.count == 1)
            }
            for _ in 0..<3 {
                let reply = try Message(bytes: try udp.exchange(query("nothing.example.test", .a)))
                #expect(reply.header.rcode == 3)
            }
            var response = query("ns1.example.test", .a)
            response[2] |= 0x80
            for garbage in [[0x12], [0x12, 0x34, 0x01], Array(repeating: 0xFF, count: 11), response, response] {
                try udp.send(garbage)
            }
            // One worker reads the socket in order: this answer means the garbage was seen.
            _ = try udp.exchange(query("ns1.example.test", .a))
            #expect(udp.drain() == 0, "garbage must not be answered")
            let tcp = try TCPClient(server: daemon.ipv4)
            for _ in 0..<2 {
                let reply = try Message(bytes: try tcp.exchange(query(daemon.origin, .soa)))
                #expect(reply.header.rcode == 0 && reply.answers.count == 1)
            }

            // Control: 9 commits, 3 switches scheduled, 1 done by the scheduler, 1 cancelled, 1 left pending.
            let client = try daemon.control()
            _ = try client.call(op: .appPut, args: ["app": "web", "name": "Shop", "web_head": ["hostname": "lb.example.net"]])
            _ = try client.call(op: .appPut, args: ["app": "dr", "name": "DR", "web_head": ["addresses": ["192.0.2.10"]]])
            let pair: [String: JSONValue] = ["primary": "web", "backup": "dr"]
            let first = try #require(try client.call(op: .groupCreate, args: pair)["address"])
            let second = try #require(try client.call(op: .groupCreate, args: pair)["address"])
            _ = try client.call(op: .groupSwitch, args: ["address": first, "to": "backup", "delay_seconds": 600])
            _ = try client.call(op: .groupSwitch, args: ["address": second, "to": "backup", "delay_seconds": 1])
            let done = #"failoverd_switches_total{event="done"}"#
            let deadline = Date().addingTimeInterval(10)
            while try scrape(endpoint).samples[done] != 1, Date() < deadline { usleep(100_000) }
            _ = try client.call(op: .groupSwitch, args: ["address": second, "to": "primary", "delay_seconds": 600])
            _ = try client.call(op: .groupCancel, args: ["address": second])
            let unknown = [first, second].contains("123-456-789") ? "987-654-321" : "123-456-789"
            expectControlError("not_found", "group.get of a group that does not exist") {
                try client.call(op: .groupGet, args: ["address": .string(unknown)])
            }
            let raw = try RawControl(path: daemon.controlSocket)
            #expect(try raw.request("{not json")["error"]?["code"] == "bad_request")

            let serial = try daemon.servedSerial()
            let result = try scrape(endpoint)
            #expect(result.status == 200)
            #expect(result.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            let samples = result.samples
            let context = result.body + daemon.log()
            let expected: [String: Double] = [
                #"failoverd_dns_queries_total{transport="udp",qtype="A",rcode="NOERROR"}"#: 7,
                #"failoverd_dns_queries_total{transport="udp",qtype="A",rcode="NXDOMAIN"}"#: 3,
                #"failoverd_dns_queries_total{transport="tcp",qtype="SOA",rcode="NOERROR"}"#: 2,
                #"failoverd_dns_dropped_total{transport="udp"}"#: 5,
                #"failoverd_dns_dropped_total{transport="tcp"}"#: 0,
                "failoverd_dns_truncated_total": 0,
                #"failoverd_control_requests_total{op="app.put",result="ok"}"#: 2,
                #"failoverd_control_requests_total{op="group.create",result="ok"}"#: 2,
                #"failoverd_control_requests_total{op="group.switch",result="ok"}"#: 3,
                #"failoverd_control_requests_total{op="group.cancel",result="ok"}"#: 1,
                #"failoverd_control_requests_total{op="group.get",result="not_found"}"#: 1,
                #"failoverd_control_requests_total{op="invalid",result="bad_request"}"#: 1,
                #"failoverd_switches_total{event="scheduled"}"#: 3,
                #"failoverd_switches_total{event="done"}"#: 1,
                #"failoverd_switches_total{event="cancelled"}"#: 1,
                "failoverd_pending_switches": 1,
                "failoverd_apps": 2,
                "failoverd_groups": 2,
                "failoverd_zone_serial": Double(serial),
                "failoverd_tcp_connections": 1,
                "failoverd_journal_fsync_seconds_count": 9,
                "failoverd_snapshot_build_seconds_count": 10,
            ]
            for (key, value) in expected.sorted(by: { $0.key < $1.key }) {
                #expect(samples[key] == value, Comment(rawValue: "\(key)\n" + context))
            }
            // The start-up probe and dig asked for the SOA over UDP too; how often depends on timing.
            #expect((samples[#"failoverd_dns_queries_total{transport="udp",qtype="SOA",rcode="NOERROR"}"#] ?? 0) >= 2)
            let queryKeys = samples.keys.filter { $0.hasPrefix("failoverd_dns_queries_total{") }
            #expect(queryKeys.count == 4, "only the combinations seen: \(queryKeys.sorted())")
            let fsyncSum = try #require(samples["failoverd_journal_fsync_seconds_sum"])
            #expect(fsyncSum > 0 && fsyncSum < 9, "9 fsyncs took \(fsyncSum) s")
            #expect(samples[#"failoverd_journal_fsync_seconds_bucket{le="+Inf"}"#] == 9)
            #expect(samples.keys.contains { $0.hasPrefix("failoverd_snapshot_build_seconds_bucket{le=") })
            withExtendedLifetime(tcp) {}
        }

        @Test("Anything but GET /metrics is a 404; an oversized request is cut off")
        func otherRequests() throws {
            let (daemon, endpoint) = try DaemonProcess.withMetrics(zone: ControlZone.text, label: "metrics-404")
            defer { daemon.stop() }
            #expect(try scrape(endpoint, path: "/").status == 404)
            #expect(try scrape(endpoint, path: "/metricsx").status == 404)
            #expect(try scrape(endpoint, method: "POST").status == 404)
            #expect(try scrape(endpoint, path: "/metrics?x=1").status == 200)
            let huge = try httpExchange(endpoint, request: "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: "
                + String(repeating: "a", count: 20_000) + "\r\n\r\n")
            #expect(!huge.hasPrefix("HTTP/1.1 200"), "a 20 kB request must not be answered")
            #expect(try scrape(endpoint).status == 200, "still serving after the oversized request")

        }
    }
}

/// One HTTP response, with the exposition's samples parsed.
struct ScrapeResult {
    var status: Int
    var headers: [String: String]
    var body: String

    /// `name{labels}` to value, for every sample line.
    var samples: [String: Double] {
        var result: [String: Double] = [:]
        for line in body.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            result[String(line[..<space])] = value
        }
        return result
    }
}

/// `METHOD path` over a fresh connection, read until the server closes it.
func scrape(_ endpoint: Endpoint, path: String = "/metrics", method: String = "GET") throws -> ScrapeResult {
    let text = try httpExchange(endpoint, request: "\(method) \(path) HTTP/1.1\r\nHost: \(endpoint)\r\n\r\n")
    guard let split = text.range(of: "\r\n\r\n") else {
        throw ClientError("no HTTP header in \(text.debugDescription)")
    }
    let lines = text[..<split.lowerBound].split(separator: "\r\n")
    guard let statusLine = lines.first, let code = statusLine.split(separator: " ").dropFirst().first,
        let status = Int(code)
    else {
        throw ClientError("bad status line in \(text.debugDescription)")
    }
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return ScrapeResult(status: status, headers: headers, body: String(text[split.upperBound...]))
}

/// Sends `request` on a plain TCP socket and returns all that comes back until the close (5 s at most).
func httpExchange(_ endpoint: Endpoint, request: String) throws -> String {
    let fd = socket(endpoint.family, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ClientError.errno("socket") }
    defer { close(fd) }
    guard endpoint.withSockAddr({ connect(fd, $0, $1) }) == 0 else { throw ClientError.errno("connect \(endpoint)") }
    let bytes = Array(request.utf8)
    var offset = 0
    while offset < bytes.count {
        let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        // The server may close before reading everything (oversized request).
        guard sent > 0 else { break }
        offset += sent
    }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    let deadline = Date().addingTimeInterval(5)
    while waitReadable(fd, timeout: max(0, deadline.timeIntervalSinceNow)) {
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 { break }
        received += buffer[0..<count]
    }
    return String(decoding: received, as: UTF8.self)
}

extension DaemonProcess {
    /// A daemon with its Prometheus endpoint on a free loopback port, and that endpoint.
    static func withMetrics(zone: String, label: String) throws -> (DaemonProcess, Endpoint) {
        let port = FreePort.find()
        let daemon = try DaemonProcess(zone: zone, extraConfig: "metrics:\n  listen: \"127.0.0.1:\(port)\"",
                                       label: label)
        return (daemon, Endpoint(host: "127.0.0.1", port: port))
    }
}
