import Foundation
import Glibc
import Testing

@testable import FailoverControl

@Suite("ControlClient over a Unix socket")
struct ControlClientTests {
    @Test("a call is one framed line; a response split across reads is reassembled")
    func callFraming() throws {
        let server = try TestServer { line in
            let id = (try? JSONValue.parse(line))?["id"] ?? .null
            let response = String(decoding: ControlResponse.success(id: id, result: ["pong": true]).line, as: UTF8.self)
            return pieces(response, size: 5)
        }
        defer { server.stop() }
        let client = try ControlClient(socketPath: server.path, timeout: 5)
        let result = try client.call(.groupGet(GroupAddressArgs(address: "414-262-781")))
        #expect(result == ["pong": true])
        #expect(try client.call(op: .hello) == ["pong": true])
        client.close()
        #expect(
            server.received == [
                #"{"args":{"address":"414-262-781"},"id":1,"op":"group.get"}"#, #"{"id":2,"op":"hello"}"#,
            ])
    }

    @Test("ok:false becomes a thrown ControlError")
    func errorResponse() throws {
        let server = try TestServer { line in
            let id = (try? JSONValue.parse(line))?["id"] ?? .null
            return [String(decoding: ControlResponse.failure(id: id, error: .notFound("no app x")).line, as: UTF8.self)]
        }
        defer { server.stop() }
        let client = try ControlClient(socketPath: server.path, timeout: 5)
        #expect(throws: ControlError.notFound("no app x")) { try client.call(.appGet(AppIDArgs(app: "x"))) }
    }

    @Test("a null-id failure (an unreadable request) is taken as the answer")
    func nullIDFailure() throws {
        let server = try TestServer { _ in
            [#"{"error":{"code":"too_large","message":"too big"},"id":null,"ok":false}"# + "\n"]
        }
        defer { server.stop() }
        let client = try ControlClient(socketPath: server.path, timeout: 5)
        #expect(throws: ControlError.tooLarge("too big")) { try client.call(op: .stats) }
    }

    @Test("a response for another id is a protocol error")
    func wrongID() throws {
        let server = try TestServer { _ in [#"{"id":99,"ok":true,"result":null}"# + "\n"] }
        defer { server.stop() }
        let client = try ControlClient(socketPath: server.path, timeout: 5)
        #expect(throws: ControlClientError.self) { try client.call(op: .stats) }
    }

    @Test("garbage from the daemon is reported")
    func malformed() throws {
        let server = try TestServer { _ in ["this is not json\n"] }
        defer { server.stop() }
        let client = try ControlClient(socketPath: server.path, timeout: 5)
        #expect(throws: ControlClientError.malformedLine("this is not json")) { try client.call(op: .stats) }
    }

    @Test("no answer within the timeout")
    func timeout() throws {
        let server = try TestServer { _ in [] }
        defer { server.stop() }
        let client = try ControlClient(socketPath: server.path, timeout: 0.2)
        let start = ContinuousClock.now
        #expect(throws: ControlClientError.timedOut(seconds: 0.2)) { try client.call(op: .hello) }
        #expect(ContinuousClock.now - start < .seconds(3))
        client.close()
    }

    @Test("the daemon closing the connection")
    func closed() throws {
        let server = try TestServer { _ in ["<close>"] }
        defer { server.stop() }
        let client = try ControlClient(socketPath: server.path, timeout: 5)
        #expect(throws: ControlClientError.connectionClosed) { try client.call(op: .hello) }
    }

    @Test("a refusal written before the daemon closes is the answer, even when the request cannot be sent")
    func refusedBeforeRequest() throws {
        let refusal = #"{"error":{"code":"unauthorized","message":"uid 65534 (nobody) is not allowed"},"id":null,"ok":false}"#
        let server = try TestServer(greeting: [refusal + "\n", "<close>"]) { _ in [] }
        defer { server.stop() }
        let client = try ControlClient(socketPath: server.path, timeout: 5)
        server.waitUntilClosed()
        #expect(throws: ControlError.unauthorized("uid 65534 (nobody) is not allowed")) { try client.call(op: .hello) }
    }

    @Test("no daemon at the path")
    func cannotConnect() {
        #expect(throws: ControlClientError.cannotConnect(path: "/nonexistent/failoverd.sock", errno: ENOENT)) {
            try ControlClient(socketPath: "/nonexistent/failoverd.sock")
        }
        let long = "/tmp/" + String(repeating: "x", count: 200)
        #expect(throws: ControlClientError.socketPathTooLong(path: long)) { try ControlClient(socketPath: long) }
    }

    @Test("watch streams events, several per read and split across reads, until the handler stops")
    func watch() throws {
        let at: Int64 = 1_795_816_800_000
        let events = [
            ControlEvent.statusChanged(app: "a1", status: .offline, previous: .online, at: at),
            ControlEvent.statusChanged(app: "a2", status: .online, previous: .offline, at: at),
            ControlEvent(name: "future.event", at: at + 1, fields: ["x": 1]),
        ]
        let eventText = events.map { String(decoding: $0.line, as: UTF8.self) }
        let server = try TestServer { line in
            let id = (try? JSONValue.parse(line))?["id"] ?? .null
            let ack = String(
                decoding: ControlResponse.success(id: id, result: ControlResults.watching(serial: 4)).line,
                as: UTF8.self)
            return [ack + eventText[0] + eventText[1]] + pieces(eventText[2], size: 9)
        }
        defer { server.stop() }
        let client = try ControlClient(socketPath: server.path, timeout: 5)
        var seen: [ControlEvent] = []
        let acknowledgement = try client.watch { event in
            seen.append(event)
            return seen.count == 3 ? .stop : .continue
        }
        #expect(acknowledgement == ControlResults.watching(serial: 4))
        #expect(seen == events)
        #expect(seen[2].knownName == nil)
        #expect(server.received == [#"{"id":1,"op":"watch"}"#])
    }
}
