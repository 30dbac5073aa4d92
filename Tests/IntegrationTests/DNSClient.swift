import DNSWire
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address and port.
struct Endpoint: CustomStringConvertible, Sendable {
    var host: String
    var port: UInt16

    var isIPv6: Bool { host.contains(":") }
    var family: Int32 { isIPv6 ? AF_INET6 : AF_INET }
    var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    func withSockAddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        if isIPv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            precondition(inet_pton(AF_INET6, host, &address.sin6_addr) == 1, "bad IPv6 address \(host)")
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        precondition(inet_pton(AF_INET, host, &address.sin_addr) == 1, "bad IPv4 address \(host)")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}

struct ClientError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
    static func errno(_ what: String) -> ClientError { ClientError("\(what): \(String(cString: strerror(Glibc.errno)))") }
}

/// Waits until `fd` is readable; false on timeout.
func waitReadable(_ fd: Int32, timeout: Double) -> Bool {
    var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        let left = max(0, Int32(deadline.timeIntervalSinceNow * 1000))
        let ready = poll(&poller, 1, left)
        if ready > 0 { return true }
        if ready == 0 { return false }
        if errno != EINTR { return false }
    }
}

/// A connected UDP socket: replies from other addresses are not received.
final class UDPClient {
    let fd: Int32
    let server: Endpoint

    init(server: Endpoint) throws {
        self.server = server
        fd = socket(server.family, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError.errno("socket") }
        let result = server.withSockAddr { connect(fd, $0, $1) }
        guard result == 0 else {
            close(fd)
            throw ClientError.errno("connect UDP \(server)")
        }
        var size: Int32 = 1 << 20
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        // ECONNREFUSED reports an ICMP error from an earlier datagram; not this one's fault.
        if sent < 0, errno != ECONNREFUSED { throw ClientError.errno("send UDP to \(server)") }
    }

    /// The next datagram, or nil when none arrives in time.
    func receive(timeout: Double) -> [UInt8]? {
        guard waitReadable(fd, timeout: timeout) else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { return nil }
        return Array(buffer[0..<count])
    }

    /// Throws away datagrams already queued.
    func drain() -> Int {
        var count = 0
        while receive(timeout: 0) != nil { count += 1 }
        return count
    }

    /// Sends a query and returns the reply with the same ID (others are skipped).
    func exchange(_ query: [UInt8], timeout: Double = 2) throws -> [UInt8] {
        try send(query)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0, let reply = receive(timeout: left) else {
                throw ClientError("no UDP reply from \(server) within \(timeout) s")
            }
            if reply.count >= 2, query.count >= 2, reply[0] == query[0], reply[1] == query[1] { return reply }
        }
    }
}

/// One TCP connection speaking DNS framing (two-byte length prefix).
final class TCPClient {
    let fd: Int32
    let server: Endpoint

    init(server: Endpoint, timeout: Double = 3) throws {
        self.server = server
        fd = socket(server.family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError.errno("socket") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let result = server.withSockAddr { connect(fd, $0, $1) }
        guard result == 0 else {
            let error = ClientError.errno("connect TCP \(server)")
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    func sendRaw(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                throw ClientError.errno("send TCP to \(server)")
            }
            offset += sent
        }
    }

    static func frame(_ message: [UInt8]) -> [UInt8] {
        [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
    }

    func send(_ message: [UInt8]) throws { try sendRaw(Self.frame(message)) }

    /// Reads exactly `count` bytes; nil on timeout or when the server closed.
    func read(_ count: Int, timeout: Double) -> [UInt8]? {
        var result: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while result.count < count {
            let left = deadline.timeIntervalSinceNow
            guard left > 0, waitReadable(fd, timeout: left) else { return nil }
            let want = min(buffer.count, count - result.count)
            let got = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, want, 0) }
            if got < 0, errno == EINTR { continue }
            guard got > 0 else { return nil }
            result += buffer[0..<got]
        }
        return result
    }

    /// The next framed message, or nil on timeout or close.
    func receive(timeout: Double = 3) -> [UInt8]? {
        let deadline = Date().addingTimeInterval(timeout)
        guard let prefix = read(2, timeout: timeout) else { return nil }
        let length = Int(prefix[0]) << 8 | Int(prefix[1])
        return read(length, timeout: max(0.01, deadline.timeIntervalSinceNow))
    }

    func exchange(_ query: [UInt8], timeout: Double = 3) throws -> [UInt8] {
        try send(query)
        guard let reply = receive(timeout: timeout) else {
            throw ClientError("no TCP reply from \(server) within \(timeout) s")
        }
        return reply
    }

    /// Waits for the server to close the connection: true when it did
    /// (end of file or reset) within `timeout`, false when still open.
    func waitForClose(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0, waitReadable(fd, timeout: left) else { return false }
            let got = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if got == 0 { return true }
            if got < 0 { return errno != EINTR && errno != EAGAIN }
        }
    }
}

/// Builds query bytes with the options the tests vary.
struct QuerySpec: CustomStringConvertible, Sendable {
    var name: String
    var type: RecordType
    var id: UInt16 = 0x1234
    var edns: UInt16? = nil
    var dnssecOK = false
    var tcp = false
    var recursionDesired = false
    var checkingDisabled = false
    var ednsVersion: UInt8 = 0
    /// An EDNS option to send (code), e.g. an unknown one that must be ignored.
    var ednsOption: UInt16? = nil

    func message() -> Message {
        let domain = try! DomainName(name)
        let ednsRecord = edns.map {
            EDNSRecord(udpPayloadSize: $0, version: ednsVersion, dnssecOK: dnssecOK,
                       options: ednsOption.map { [(code: $0, data: [1, 2, 3, 4])] } ?? [])
        }
        var message = Message.query(domain, type, id: id, recursionDesired: recursionDesired, edns: ednsRecord)
        message.header.checkingDisabled = checkingDisabled
        return message
    }

    func bytes() -> [UInt8] { message().serialize() }

    var description: String {
        var text = "\(name) \(type)"
        if let edns { text += " +edns=\(edns)" + (dnssecOK ? " +do" : "") } else { text += " +noedns" }
        if tcp { text += " +tcp" }
        if recursionDesired { text += " +rd" }
        if checkingDisabled { text += " +cd" }
        if ednsVersion != 0 { text += " +ednsversion=\(ednsVersion)" }
        if let ednsOption { text += " +ednsopt=\(ednsOption)" }
        return text
    }
}

/// Sends a query over UDP or TCP (per the spec) and parses the reply.
func ask(_ spec: QuerySpec, at server: Endpoint, timeout: Double = 2) throws -> Message {
    let reply: [UInt8]
    if spec.tcp {
        let client = try TCPClient(server: server)
        reply = try client.exchange(spec.bytes(), timeout: timeout)
    } else {
        let client = try UDPClient(server: server)
        reply = try client.exchange(spec.bytes(), timeout: timeout)
    }
    do {
        return try Message(bytes: reply)
    } catch {
        throw ClientError("unparseable reply from \(server) to \(spec): \(error); bytes \(reply)")
    }
}
