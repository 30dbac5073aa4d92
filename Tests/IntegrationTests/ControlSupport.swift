import FailoverControl
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Helpers for the control-channel end-to-end tests: a raw socket that sends
/// any bytes, a background watcher, and dig shortcuts for group answers.

/// The zone the control tests serve: just an apex, so every group name is new.
enum ControlZone {
    static let origin = "example.test"
    static let fileSerial: UInt32 = 2024010101
    static let text = """
        $ORIGIN example.test.
        $TTL 3600
        @    3600 IN SOA ns1.example.test. hostmaster.example.test. \(fileSerial) 7200 3600 1209600 300
        @         IN NS  ns1.example.test.
        ns1       IN A   192.0.2.53

        """
}

/// Milliseconds since the Unix epoch, the unit of the protocol's times.
func nowMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

/// Asserts that `body` fails with the control error `code`; returns the error.
@discardableResult
func expectControlError(_ code: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
                        _ body: () throws -> JSONValue) -> ControlError?
{
    do {
        let result = try body()
        Issue.record("\(what): expected \(code), got success \(result)", sourceLocation: sourceLocation)
        return nil
    } catch let error as ControlError {
        #expect(error.code.rawValue == code, "\(what): expected \(code), got \(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("\(what): expected \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

extension DaemonProcess {
    func control(timeout: Double = 10) throws -> ControlClient {
        try ControlClient(socketPath: controlSocket, timeout: timeout)
    }

    /// dig for `name`/`type` over UDP, IPv4.
    func dig(_ name: String, _ type: String) throws -> DigReply {
        try Dig.query(.dig, server: ipv4, name: name, type: type)
    }

    /// The SOA serial dig sees at the apex.
    func servedSerial() throws -> UInt32 {
        let reply = try dig(origin, "SOA")
        guard let soa = reply.answers(ofType: "SOA").first, soa.count > 6, let serial = UInt32(soa[6]) else {
            throw ClientError("no SOA serial in\n\(reply.raw)")
        }
        return serial
    }

    /// VmRSS of the daemon in kB.
    func residentKilobytes() -> Int? { IntegrationTests.residentKilobytes(pid: pid) }

    /// failoverctl next to failoverd.
    static func failoverctlPath() throws -> String {
        let path = URL(fileURLWithPath: try binaryPath()).deletingLastPathComponent().appendingPathComponent("failoverctl").path
        guard FileManager.default.isExecutableFile(atPath: path) else { throw ClientError("no failoverctl at \(path)") }
        return path
    }
}

extension JSONValue {
    /// `self` without the members named, for comparing exports taken at different times.
    func removing(_ keys: String...) -> JSONValue {
        guard var members = objectValue else { return self }
        for key in keys { members[key] = nil }
        return .object(members)
    }
}

/// A control connection at the byte level: sends whatever it is given and
/// reads lines back, so malformed input can be sent and closes observed.
final class RawControl {
    let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var closedByPeer = false

    init(path: String, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ClientError.errno("socket") }
        // Set before connecting, so the small buffer applies from the start.
        if var size = receiveBuffer {
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        let socketFD = fd
        guard UnixSocket.withAddress(path, { connect(socketFD, $0, $1) }) == 0 else {
            let error = ClientError.errno("connect \(path)")
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ClientError.errno("send")
            }
            offset += count
        }
    }

    func shutdownWrite() { _ = shutdown(fd, Int32(SHUT_WR)) }

    /// The next line (without its newline), or nil on EOF or timeout.
    func readLine(timeout: Double = 5) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let index = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<index], as: UTF8.self)
                buffer.removeSubrange(...index)
                return line
            }
            if closedByPeer { return nil }
            let left = deadline.timeIntervalSinceNow
            guard left > 0, waitReadable(fd, timeout: left) else { return nil }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count == 0 { closedByPeer = true; continue }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                closedByPeer = true
                continue
            }
            buffer += chunk[..<count]
        }
    }

    /// The next line parsed as JSON; throws on timeout, EOF or bad JSON.
    func readJSON(timeout: Double = 5) throws -> JSONValue {
        guard let line = readLine(timeout: timeout) else {
            throw ClientError(closedByPeer ? "connection closed" : "no line within \(timeout) s")
        }
        return try JSONValue.parse(line)
    }

    /// Sends one line and reads one JSON response.
    func request(_ line: String, timeout: Double = 5) throws -> JSONValue {
        try send(line + "\n")
        do {
            return try readJSON(timeout: timeout)
        } catch {
            throw ClientError("\(error) after sending \(line.prefix(200))")
        }
    }

    /// POLLRDHUP (Linux, 0x2000): not exported by Swift's Glibc module.
    static let pollRDHUP: Int16 = 0x2000

    /// True once the peer has closed its end, without reading anything (POLLRDHUP/POLLHUP).
    func waitForHangUp(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            var poller = pollfd(fd: fd, events: Self.pollRDHUP, revents: 0)
            if poll(&poller, 1, 20) > 0, poller.revents & (Self.pollRDHUP | Int16(POLLHUP)) != 0 { return true }
        } while Date() < deadline
        return false
    }

    /// Waits for EOF, discarding data; true if the peer closed within `timeout`.
    func waitForClose(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !closedByPeer {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return false }
            buffer.removeAll()
            _ = readLine(timeout: left)
        }
        return true
    }
}

/// Opens a connection, sends `watch`, and collects events on a background thread until stopped.
final class EventCollector: @unchecked Sendable {
    private let connection: RawControl
    private let lock = NSLock()
    private var collected: [JSONValue] = []
    private var stopping = false
    private let done = DispatchSemaphore(value: 0)
    let acknowledgement: JSONValue

    init(socketPath: String) throws {
        connection = try RawControl(path: socketPath)
        acknowledgement = try connection.request(#"{"id":"w","op":"watch"}"#)
        guard acknowledgement["ok"] == .bool(true) else { throw ClientError("watch refused: \(acknowledgement)") }
        let thread = Thread { [self] in
            while !lock.withLock({ stopping }) {
                guard let line = connection.readLine(timeout: 0.1) else {
                    if connection.closedByPeer { break }
                    continue
                }
                if let value = try? JSONValue.parse(line) { lock.withLock { collected.append(value) } }
            }
            done.signal()
        }
        thread.start()
    }

    var events: [JSONValue] { lock.withLock { collected } }

    /// Events named `name` (about `address` when given).
    func events(_ name: String, address: String? = nil) -> [JSONValue] {
        events.filter { $0["event"]?.stringValue == name && (address == nil || $0["address"]?.stringValue == address) }
    }

    /// Waits until `predicate` holds for the events collected (at most `timeout`).
    @discardableResult
    func wait(timeout: Double = 3, until predicate: ([JSONValue]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if predicate(events) { return true }
            usleep(10_000)
        }
        return predicate(events)
    }

    func stop() {
        lock.withLock { stopping = true }
        _ = done.wait(timeout: .now() + 2)
    }
}

/// Field `index` of the first answer record of `type`, e.g. the CNAME target (4) or TTL (1).
func answerField(_ reply: DigReply, _ type: String, _ index: Int) -> String? {
    guard let record = reply.answers(ofType: type).first, record.count > index else { return nil }
    return record[index]
}

/// VmRSS of process `pid` in kB.
func residentKilobytes(pid: Int32) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }
    return nil
}
