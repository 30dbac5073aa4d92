import FailoverControl
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// One connection may send many requests without waiting: they commit in
    /// the order sent, replies come back in that order, and a read in the
    /// middle sees every write sent before it.
    @Suite struct ControlPipelineTests {
        @Test("Pipelined requests: order kept, reads see earlier writes, errors in place, state served")
        func pipelinedRequestsKeepOrder() throws {
            let daemon = try DaemonProcess(zone: ControlZone.text, label: "ctl-pipeline")
            defer { daemon.stop() }
            let apps = 150
            let address = "123-456-789"
            var lines: [String] = []
            var expectations: [(id: Int, ok: Bool, check: (JSONValue) -> Bool)] = []
            func add(_ op: String, _ args: String, ok: Bool = true, check: @escaping (JSONValue) -> Bool = { _ in true }) {
                let id = lines.count + 1
                lines.append(#"{"id":\#(id),"op":"\#(op)","args":\#(args)}"#)
                expectations.append((id, ok, check))
            }
            for index in 0..<apps {
                add("app.put", #"{"app":"p\#(index)","name":"P\#(index)","web_head":{"hostname":"lb-\#(index).example.net"}}"#)
            }
            add("group.create", #"{"address":"\#(address)","primary":"p0","backup":"p1"}"#)
            // Refused in place: p0 is in the group created just before.
            add("app.remove", #"{"app":"p0"}"#, ok: false) { $0["error"]?["code"]?.stringValue == "in_use" }
            add("group.get", #"{"address":"\#(address)"}"#) { $0["result"]?["primary"]?.stringValue == "p0" }
            // Alternate the primary; the last one sent wins.
            for index in 2..<apps {
                add("group.update", #"{"address":"\#(address)","primary":"p\#(index)"}"#) {
                    $0["result"]?["primary"]?.stringValue == "p\(index)"
                }
            }
            add("app.get", #"{"app":"p\#(apps - 1)"}"#) { $0["result"]?["status"]?.stringValue == "online" }
            add("app.get", #"{"app":"p2"}"#) { $0["result"]?["status"]?.stringValue == "none" }

            let raw = try RawControl(path: daemon.controlSocket)
            let payload = lines.joined(separator: "\n") + "\n"
            let started = Date()
            // Send from another thread while this one reads: the daemon stops
            // reading once 64 replies are unwritten, so one thread alone could block.
            let fd = raw.fd
            let sender = Thread {
                let bytes = Array(payload.utf8)
                var offset = 0
                while offset < bytes.count {
                    let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                    if sent < 0 { if errno == EINTR { continue } else { return } }
                    offset += sent
                }
            }
            sender.start()
            for expected in expectations {
                let reply = try raw.readJSON(timeout: 20)
                #expect(reply["id"] == .integer(Int64(expected.id)), "reply out of order: \(reply)")
                #expect(reply["ok"] == .bool(expected.ok), "request \(expected.id): \(reply)")
                #expect(expected.check(reply), "request \(expected.id): \(reply)")
            }
            let elapsed = Date().timeIntervalSince(started)
            print("[ctl-pipeline] \(lines.count) pipelined requests answered in order in \(Int(elapsed * 1000)) ms")

            let answer = try daemon.dig("\(address).\(ControlZone.origin)", "A")
            #expect(answerField(answer, "CNAME", 4) == "lb-\(apps - 1).example.net.", "\(answer)")
            // Acknowledged means durable: the state survives a restart.
            try daemon.restart()
            let after = try daemon.control().call(op: .groupGet, args: ["address": .string(address)])
            #expect(after["primary"]?.stringValue == "p\(apps - 1)")
        }

        @Test("Switches falling due together (a mass failover) all apply, sharing commits")
        func manySwitchesDueTogether() throws {
            let (daemon, metrics) = try DaemonProcess.withMetrics(zone: ControlZone.text, label: "ctl-mass-switch")
            defer { daemon.stop() }
            let fsyncs = "failoverd_journal_fsync_seconds_count"
            let client = try daemon.control()
            _ = try client.call(op: .appPut, args: ["app": "a", "name": "A", "web_head": ["hostname": "lb-a.example.net"]])
            _ = try client.call(op: .appPut, args: ["app": "b", "name": "B", "web_head": ["hostname": "lb-b.example.net"]])
            let count = 200
            let addresses = (0..<count).map { String(format: "500-000-%03d", $0) }
            let raw = try RawControl(path: daemon.controlSocket)
            var lines = addresses.enumerated().map { index, address in
                #"{"id":\#(index),"op":"group.create","args":{"address":"\#(address)","primary":"a","backup":"b"}}"#
            }
            lines += addresses.enumerated().map { index, address in
                #"{"id":\#(count + index),"op":"group.switch","args":{"address":"\#(address)","to":"backup","delay_seconds":1}}"#
            }
            try raw.send(lines.joined(separator: "\n") + "\n")
            for _ in lines {
                let reply = try raw.readJSON(timeout: 20)
                #expect(reply["ok"] == true, "\(reply)")
            }
            let fsyncsBefore = try scrape(metrics).samples[fsyncs] ?? 0
            let deadline = Date().addingTimeInterval(10)
            var pending = count
            while Date() < deadline {
                let export = try client.call(op: .export)
                let groups = export["groups"]?.arrayValue ?? []
                pending = groups.filter { $0["active"]?.stringValue != "backup" || $0["pending"] != nil && $0["pending"] != .null }.count
                if pending == 0 { break }
                usleep(100_000)
            }
            #expect(pending == 0, "\(pending) of \(count) switches not applied 10 s after they fell due")
            // Applied together, the switches share fsyncs (one each would be `count`).
            let fsyncsForSwitches = (try scrape(metrics).samples[fsyncs] ?? 0) - fsyncsBefore
            print("[ctl-mass-switch] \(count) switches applied with \(Int(fsyncsForSwitches)) fsyncs")
            #expect(fsyncsForSwitches < Double(count / 2), "\(fsyncsForSwitches) fsyncs for \(count) switches")
            let reply = try daemon.dig("\(addresses[count - 1]).\(ControlZone.origin)", "A")
            #expect(answerField(reply, "CNAME", 4) == "lb-b.example.net.", Comment(rawValue: reply.raw))
        }
    }
}
