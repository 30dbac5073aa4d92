import FailoverControl
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// Hostile and broken clients on the control socket change nothing and do not hurt DNS.
    @Suite struct ControlBadInputTests {
        /// Sends `line` and checks the error code (and id) of the response.
        static func expectRefused(_ connection: RawControl, _ line: String, code: String, id: JSONValue = .null,
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
            let response = try connection.request(line)
            #expect(response["ok"] == false, "\(line.prefix(120)) -> \(response)", sourceLocation: sourceLocation)
            #expect(response["error"]?["code"]?.stringValue == code, "\(line.prefix(120)) -> \(response)",
                    sourceLocation: sourceLocation)
            #expect(response["id"] == id, "\(line.prefix(120)) -> \(response)", sourceLocation: sourceLocation)
            #expect(response["error"]?["message"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        }

        @Test("Malformed lines, bad args and values, oversize lines: the right codes, nothing changes, DNS answers")
        func badRequests() throws {
            let daemon = try DaemonProcess(zone: ControlZone.text, control: ["idle-timeout: 1"], label: "ctl-bad")
            defer { daemon.stop() }
            let client = try daemon.control()
            _ = try client.call(op: .appPut, args: ["app": "a1", "name": "A1", "web_head": ["hostname": "lb.example.net"]])
            _ = try client.call(op: .appPut, args: ["app": "a2", "name": "A2", "web_head": ["addresses": ["192.0.2.7"]]])
            let group = try client.call(op: .groupCreate, args: ["primary": "a1"])
            let address = try #require(group["address"]?.stringValue)
            let exportBefore = try client.call(op: .export).removing("exported_at")
            let serialBefore = try daemon.servedSerial()

            let raw = try RawControl(path: daemon.controlSocket)
            // Framing and envelope.
            try Self.expectRefused(raw, "this is not json", code: "bad_request")
            try Self.expectRefused(raw, "[1,2,3]", code: "bad_request")
            try Self.expectRefused(raw, "\"hello\"", code: "bad_request")
            try Self.expectRefused(raw, #"{"id":1,"op":"hello""#, code: "bad_request")
            try Self.expectRefused(raw, #"{"id":2,"op":"no.such.op"}"#, code: "unknown_op", id: 2)
            try Self.expectRefused(raw, #"{"id":"s3","args":{}}"#, code: "unknown_op", id: "s3")
            try Self.expectRefused(raw, #"{"id":4,"op":"hello","extra":true}"#, code: "bad_request", id: 4)
            try Self.expectRefused(raw, #"{"id":{"x":1},"op":"hello"}"#, code: "bad_request")
            try Self.expectRefused(raw, #"{"id":[5],"op":"hello"}"#, code: "bad_request")
            try Self.expectRefused(raw, #"{"id":6,"op":"hello","op":"stats"}"#, code: "bad_request")
            try Self.expectRefused(raw, #"{"id":7,"op":"hello","args":[1]}"#, code: "bad_request", id: 7)
            try Self.expectRefused(raw, #"{"id":8,"op":5}"#, code: "bad_request", id: 8)
            try Self.expectRefused(raw, #"{"id":9,"op":"hello","args":{"protocol":99}}"#, code: "bad_request", id: 9)
            let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
            try Self.expectRefused(raw, #"{"id":10,"op":"hello","args":{"x":\#(deep)}}"#, code: "bad_request")
            try Self.expectRefused(raw, "{\"id\":11,\"op\":\"hello\",\"args\":{\"x\":\"\u{FFFD}\"}}".replacingOccurrences(of: "\u{FFFD}", with: "\\ud800"), code: "bad_request")
            // Blank lines are ignored; the next request is answered normally.
            try raw.send("\n\r\n\n")
            let hello = try raw.request(#"{"id":12,"op":"hello","args":{"protocol":1}}"#)
            #expect(hello["ok"] == true && hello["id"] == 12, "\(hello)")
            #expect(hello["result"]?["protocol"] == 1)

            // Argument types and unknown arguments.
            try Self.expectRefused(raw, #"{"id":20,"op":"app.get","args":{"app":5}}"#, code: "bad_request", id: 20)
            try Self.expectRefused(raw, #"{"id":21,"op":"app.get","args":{}}"#, code: "bad_request", id: 21)
            try Self.expectRefused(raw, #"{"id":22,"op":"group.get","args":{"adress":"\#(address)"}}"#, code: "bad_request", id: 22)
            try Self.expectRefused(raw, #"{"id":23,"op":"group.get","args":{"address":"\#(address)","extra":1}}"#, code: "bad_request", id: 23)
            try Self.expectRefused(raw, #"{"id":24,"op":"group.update","args":{"address":"\#(address)","if_version":"1"}}"#, code: "bad_request", id: 24)
            try Self.expectRefused(raw, #"{"id":25,"op":"group.update","args":{"address":"\#(address)","if_version":-1}}"#, code: "bad_request", id: 25)
            try Self.expectRefused(raw, #"{"id":26,"op":"group.update","args":{"address":"\#(address)","primary":7}}"#, code: "bad_request", id: 26)
            try Self.expectRefused(raw, #"{"id":27,"op":"group.switch","args":{"address":"\#(address)","to":"sideways"}}"#, code: "bad_request", id: 27)
            try Self.expectRefused(raw, #"{"id":28,"op":"group.switch","args":{"address":"\#(address)","to":"primary","delay_seconds":"5"}}"#, code: "bad_request", id: 28)
            try Self.expectRefused(raw, #"{"id":29,"op":"group.switch","args":{"address":"\#(address)","to":"primary","delay_seconds":-1}}"#, code: "bad_request", id: 29)
            try Self.expectRefused(raw, #"{"id":30,"op":"group.switch","args":{"address":"\#(address)","to":"primary","delay_seconds":604801}}"#, code: "bad_request", id: 30)
            try Self.expectRefused(raw, #"{"id":31,"op":"app.put","args":{"app":"a3","name":"A3"}}"#, code: "bad_request", id: 31)
            try Self.expectRefused(raw, #"{"id":32,"op":"app.put","args":{"app":"a3","name":"A3","web_head":"lb.example.net"}}"#, code: "bad_request", id: 32)
            try Self.expectRefused(raw, #"{"id":33,"op":"app.put","args":{"app":"a3","name":"A3","web_head":{"hostname":"lb.example.net","addresses":["192.0.2.1"]}}}"#, code: "bad_request", id: 33)
            try Self.expectRefused(raw, #"{"id":34,"op":"export","args":{"all":true}}"#, code: "bad_request", id: 34)
            try Self.expectRefused(raw, #"{"id":35,"op":"group.switch","args":{"address":"\#(address)","to":"primary","requested_by":"\#(String(repeating: "x", count: 201))"}}"#, code: "bad_request", id: 35)

            // Values the model rejects.
            func put(_ id: Int, _ app: String, _ webHead: String) -> String {
                #"{"id":\#(id),"op":"app.put","args":{"app":"\#(app)","name":"N","web_head":\#(webHead)}}"#
            }
            let badWebHeads = [
                #"{"hostname":"bad..name.example"}"#,
                #"{"hostname":"-lead.example.net"}"#,
                #"{"hostname":"under_score!.example.net"}"#,
                #"{"hostname":""}"#,
                #"{"hostname":"\#(String(repeating: "a", count: 64)).example.net"}"#,
                #"{"hostname":"\#(Array(repeating: "abcdefghij", count: 26).joined(separator: "."))"}"#,
                #"{"addresses":[]}"#,
                #"{"addresses":["300.1.1.1"]}"#,
                #"{"addresses":["192.0.2"]}"#,
                #"{"addresses":["2001:db8:::1"]}"#,
                #"{"addresses":["lb.example.net"]}"#,
                #"{"addresses":[7]}"#,
                #"{"addresses":[\#((1...17).map { "\"192.0.2.\($0)\"" }.joined(separator: ","))]}"#,
            ]
            for (index, webHead) in badWebHeads.enumerated() {
                try Self.expectRefused(raw, put(100 + index, "a3", webHead), code: "bad_request", id: .integer(Int64(100 + index)))
            }
            try Self.expectRefused(raw, put(150, "has space", #"{"hostname":"lb.example.net"}"#), code: "bad_request", id: 150)
            try Self.expectRefused(raw, put(151, "", #"{"hostname":"lb.example.net"}"#), code: "bad_request", id: 151)
            try Self.expectRefused(raw, put(152, String(repeating: "x", count: 129), "null"), code: "bad_request", id: 152)
            try Self.expectRefused(raw, #"{"id":153,"op":"app.put","args":{"app":"a3","name":"","web_head":null}}"#, code: "bad_request", id: 153)
            for (index, bad) in ["12-345-678", "1234-567-890", "abc-def-ghi", "123456789", "123-456-78a", ""].enumerated() {
                try Self.expectRefused(raw, #"{"id":\#(200 + index),"op":"group.get","args":{"address":"\#(bad)"}}"#, code: "bad_request", id: .integer(Int64(200 + index)))
                try Self.expectRefused(raw, #"{"id":\#(210 + index),"op":"group.create","args":{"address":"\#(bad)"}}"#, code: "bad_request", id: .integer(Int64(210 + index)))
            }
            // Unknown things and state conflicts.
            try Self.expectRefused(raw, #"{"id":300,"op":"app.get","args":{"app":"ghost"}}"#, code: "not_found", id: 300)
            try Self.expectRefused(raw, #"{"id":301,"op":"app.remove","args":{"app":"ghost"}}"#, code: "not_found", id: 301)
            try Self.expectRefused(raw, #"{"id":302,"op":"app.status","args":{"app":"ghost"}}"#, code: "not_found", id: 302)
            try Self.expectRefused(raw, #"{"id":303,"op":"group.create","args":{"primary":"ghost"}}"#, code: "not_found", id: 303)
            try Self.expectRefused(raw, #"{"id":304,"op":"group.create","args":{"primary":"a1","backup":"ghost"}}"#, code: "not_found", id: 304)
            try Self.expectRefused(raw, #"{"id":305,"op":"group.update","args":{"address":"\#(address)","backup":"ghost"}}"#, code: "not_found", id: 305)
            try Self.expectRefused(raw, #"{"id":306,"op":"group.get","args":{"address":"999-999-998"}}"#, code: "not_found", id: 306)
            try Self.expectRefused(raw, #"{"id":307,"op":"group.switch","args":{"address":"999-999-998","to":"backup"}}"#, code: "not_found", id: 307)
            try Self.expectRefused(raw, #"{"id":308,"op":"group.cancel","args":{"address":"999-999-998"}}"#, code: "not_found", id: 308)
            try Self.expectRefused(raw, #"{"id":309,"op":"group.delete","args":{"address":"999-999-998"}}"#, code: "not_found", id: 309)
            try Self.expectRefused(raw, #"{"id":310,"op":"group.switch","args":{"address":"\#(address)","to":"backup","delay_seconds":0}}"#, code: "conflict", id: 310)
            try Self.expectRefused(raw, #"{"id":311,"op":"group.create","args":{"primary":"a1","backup":"a1"}}"#, code: "conflict", id: 311)
            try Self.expectRefused(raw, #"{"id":312,"op":"group.update","args":{"address":"\#(address)","backup":"a1"}}"#, code: "conflict", id: 312)
            try Self.expectRefused(raw, #"{"id":313,"op":"group.create","args":{"address":"\#(address)"}}"#, code: "conflict", id: 313)
            try Self.expectRefused(raw, #"{"id":314,"op":"app.remove","args":{"app":"a1"}}"#, code: "in_use", id: 314)
            try Self.expectRefused(raw, #"{"id":315,"op":"group.delete","args":{"address":"\#(address)"}}"#, code: "in_use", id: 315)

            // Oversize line: too_large with a null id, then the connection goes on.
            let huge = #"{"id":400,"op":"app.put","args":{"app":"a3","name":"\#(String(repeating: "n", count: 70 * 1024))","web_head":null}}"#
            try Self.expectRefused(raw, huge, code: "too_large")
            let afterHuge = try raw.request(#"{"id":401,"op":"hello"}"#)
            #expect(afterHuge["ok"] == true && afterHuge["id"] == 401, "the connection continues after too_large: \(afterHuge)")
            // A line of exactly-too-large garbage without any JSON, sent in pieces.
            try raw.send(Array(repeating: UInt8(ascii: "x"), count: 40 * 1024))
            try raw.send(Array(repeating: UInt8(ascii: "y"), count: 40 * 1024) + Array("\n".utf8))
            let pieces = try raw.readJSON()
            #expect(pieces["error"]?["code"] == "too_large", "\(pieces)")
            let afterPieces = try raw.request(#"{"id":402,"op":"hello"}"#)
            #expect(afterPieces["id"] == 402 && afterPieces["ok"] == true, "\(afterPieces)")
            #expect(try daemon.servedSerial() == serialBefore, "DNS answers and the serial did not move")

            // Several requests in one write: answered in order.
            // (The protocol: "A client may send several requests on one connection, one after another.")
            let pipelined = try RawControl(path: daemon.controlSocket)
            try pipelined.send(#"{"id":"x","op":"hello"}"# + "\n" + #"{"id":"y","op":"app.get","args":{"app":"ghost"}}"# + "\r\n" + #"{"id":"z","op":"stats"}"# + "\n")
            let ordered = (0..<3).map { _ in (try? pipelined.readJSON(timeout: 0.5))?["id"] }
            #expect(ordered == ["x", "y", "z"], "ids of the responses to three requests sent in one write")

            // Half-closed client: the response still arrives.
            let half = try RawControl(path: daemon.controlSocket)
            try half.send(#"{"id":"half","op":"group.get","args":{"address":"\#(address)"}}"# + "\n")
            half.shutdownWrite()
            let halfResponse = try half.readJSON()
            #expect(halfResponse["id"] == "half" && halfResponse["ok"] == true, "\(halfResponse)")
            #expect(half.waitForClose(timeout: 3), "the daemon closes after answering a half-closed client")

            // Idle client: disconnected after control.idle-timeout (1 s).
            let idle = try RawControl(path: daemon.controlSocket)
            let idleStart = Date()
            #expect(idle.waitForHangUp(timeout: 4), "an idle connection is closed after idle-timeout 1 s")
            let idleSeconds = Date().timeIntervalSince(idleStart)
            print("[control-bad-input] idle connection closed after \(Int(idleSeconds * 1000)) ms (idle-timeout 1 s)")
            #expect(idleSeconds > 0.8)
            // A connection partway through a line is idle too.
            let partial = try RawControl(path: daemon.controlSocket)
            try partial.send(#"{"id":1,"op":"#)
            #expect(partial.waitForClose(timeout: 4), "a client stalled mid-line is closed after idle-timeout")

            let exportAfter = try daemon.control().call(op: .export).removing("exported_at")
            #expect(exportAfter == exportBefore, "bad input changed the state:\nbefore \(exportBefore)\nafter  \(exportAfter)")
            #expect(try daemon.servedSerial() == serialBefore)
        }

        @Test("A watcher that never reads is disconnected, memory stays bounded, DNS keeps answering")
        func slowWatcher() throws {
            // A small watcher queue so the overflow comes after a few hundred events even on a busy machine.
            let daemon = try DaemonProcess(zone: ControlZone.text, control: ["watcher-queue: 256"], label: "ctl-slow")
            defer { daemon.stop() }
            let client = try daemon.control()
            // Big events: a 200-character name and 16 IPv6 addresses, ~1 kB per app.changed line.
            let name = String(repeating: "N", count: 190)
            let addresses: [JSONValue] = (1...16).map { .string("2001:db8:ffff:ffff:ffff:ffff:ffff:\(String($0, radix: 16))") }
            _ = try client.call(op: .appPut, args: ["app": "flood", "name": .string(name), "web_head": ["addresses": .array(addresses)]])

            let stalled = try RawControl(path: daemon.controlSocket, receiveBuffer: 4096)
            let ack = try stalled.request(#"{"id":1,"op":"watch"}"#)
            #expect(ack["ok"] == true && ack["result"]?["watching"] == true, "\(ack)")
            let rssBefore = try #require(daemon.residentKilobytes())
            let watchersBefore = try client.call(op: .stats)["watchers"]?.int64Value
            #expect(watchersBefore == 1)

            // Produce events from another connection; the stalled watcher never reads.
            let started = Date()
            var produced = 0
            var rssPeak = rssBefore
            var watcherGoneAfter: Int? = nil
            var target = 6000
            while produced < target, Date().timeIntervalSince(started) < 45 {
                for _ in 0..<250 {
                    // A different name each time, so every put is a real change with an event.
                    _ = try client.call(op: .appPut, args: [
                        "app": "flood", "name": .string(name + String(produced)), "web_head": ["addresses": .array(addresses)],
                    ])
                    produced += 1
                }
                rssPeak = max(rssPeak, daemon.residentKilobytes() ?? 0)
                // DNS answers while the flood goes on.
                let soa = try daemon.dig(ControlZone.origin, "SOA")
                #expect(soa.status == "NOERROR" && soa.answers(ofType: "SOA").count == 1, Comment(rawValue: soa.raw))
                if watcherGoneAfter == nil, try client.call(op: .stats)["watchers"]?.int64Value == 0 {
                    watcherGoneAfter = produced
                    // Keep going a little to show the daemon stays fine.
                    target = min(target, produced + 250)
                }
            }
            let seconds = Date().timeIntervalSince(started)
            let rssAfter = daemon.residentKilobytes() ?? 0
            print("[control-slow-watcher] \(produced) app.put in \(Int(seconds * 1000)) ms; RSS \(rssBefore) kB -> peak \(rssPeak) kB -> \(rssAfter) kB; watcher dropped after \(watcherGoneAfter.map(String.init) ?? "never") events")
            #expect(rssPeak - rssBefore < 50 * 1024, "RSS grew by \(rssPeak - rssBefore) kB for a stalled watcher")
            #expect(watcherGoneAfter != nil, "stats still counts the stalled watcher after \(produced) events")
            // Closed by the daemon without the client reading a byte (POLLRDHUP), and no longer counted.
            let hungUp = stalled.waitForHangUp(timeout: 3)
            let connections = try client.call(op: .stats)["connections"]?.int64Value
            #expect(hungUp, "the stalled watcher's connection is still open \(produced) events on (stats connections: \(String(describing: connections)))")
            #expect(connections == 1, "only the producer's connection should be left: \(String(describing: connections))")
            let soa = try daemon.dig(ControlZone.origin, "SOA")
            #expect(soa.status == "NOERROR", Comment(rawValue: soa.raw))
            #expect(try client.call(op: .hello)["server"] == "failoverd")
        }
    }
}
