import CNetShim
import DNSWire
import Foundation
import Glibc
import NIOCore

/// The checker's resolver: asks a recursive DNS server for A and AAAA (so the answer's TTL is known) and
/// falls back to getaddrinfo (the hosts file, or no server) when the server has no address for the name or
/// does not answer. `localhost` and names under it are the loopback addresses, asked of no one (RFC 6761
/// section 6.3).
///
/// The server is `health.resolver`, or else the first `nameserver` of /etc/resolv.conf.
public struct DNSHostResolver: HostResolver {
    /// The recursive server asked; nil: getaddrinfo only.
    public var server: ListenAddress?
    /// Seconds one query waits for its answer.
    public var timeout: Int32 = 2

    public init(server: ListenAddress?) {
        self.server = server
    }

    /// The first `nameserver` of a resolv.conf text, on port 53.
    public static func nameserver(inResolvConf text: String) -> ListenAddress? {
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { continue }
            let host = String(fields[1].split(separator: "%").first ?? fields[1])
            if let address = try? ListenAddress(parsing: host.contains(":") ? "[\(host)]:53" : "\(host):53") {
                return address
            }
        }
        return nil
    }

    /// The resolver of the system: `/etc/resolv.conf`'s first nameserver.
    public static func system() -> DNSHostResolver {
        let text = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        return DNSHostResolver(server: nameserver(inResolvConf: text))
    }

    public func resolve(_ name: String) throws -> ResolvedHost {
        let lower = name.lowercased()
        let local = lower == "localhost" || lower == "localhost." || lower.hasSuffix(".localhost")
            || lower.hasSuffix(".localhost.")
        if local { return ResolvedHost(addresses: ["127.0.0.1", "::1"], ttl: nil) }
        if let server, let answer = try? ask(server, name: name), !answer.addresses.isEmpty {
            return answer
        }
        return ResolvedHost(addresses: try Self.getaddrinfo(name), ttl: nil)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// A and AAAA of `name` from `server`: every address in the answers (a CNAME chain included) and the
    /// smallest TTL among the records of the answer section.
    func ask(_ server: ListenAddress, name: String) throws -> ResolvedHost {
        let domain: DomainName
        do { domain = try DomainName(name) } catch { throw Failure(description: "bad name \(name)") }
        let fd = socket(server.isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let connected = server.withSockAddr { Glibc.connect(fd, $0, $1) }
        guard connected == 0 else { throw Failure(description: "connect: \(String(cString: strerror(errno)))") }
        var addresses: [String] = []
        var ttl: UInt32?
        for type in [RecordType.a, .aaaa] {
            let id = UInt16.random(in: 0...UInt16.max)
            let query = Message.query(domain, type, id: id, recursionDesired: true).serialize()
            guard send(fd, query, query.count, 0) == query.count else {
                throw Failure(description: "send: \(String(cString: strerror(errno)))")
            }
            let reply = try receive(fd, id: id)
            guard reply.header.rcode == 0 || reply.header.rcode == 3 else {
                throw Failure(description: "\(name): rcode \(reply.header.rcode)")
            }
            for record in reply.answers {
                ttl = min(ttl ?? record.ttl, record.ttl)
                guard record.type == type else { continue }
                if let text = IPAddress(bytes: record.rdata)?.description, !addresses.contains(text) { addresses.append(text) }
            }
        }
        return ResolvedHost(addresses: addresses, ttl: ttl)
    }

    /// The reply to query `id`, waiting up to ``timeout``; other datagrams are skipped.
    private func receive(_ fd: Int32, id: UInt16) throws -> Message {
        let deadline = NIODeadline.now() + .seconds(Int64(timeout))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = (deadline - NIODeadline.now()).nanoseconds / 1_000_000
            guard left > 0 else { throw Failure(description: "no answer within \(timeout) s") }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(left)) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { throw Failure(description: "recv: \(String(cString: strerror(errno)))") }
            guard let message = try? Message(bytes: Array(buffer[..<count])), message.header.id == id,
                message.header.isResponse
            else { continue }
            return message
        }
    }

    /// The addresses getaddrinfo gives for `name` (A and AAAA, hosts file and DNS as nsswitch says).
    static func getaddrinfo(_ name: String) throws -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Systemd.socketStream
        var list: UnsafeMutablePointer<addrinfo>?
        let status = Glibc.getaddrinfo(name, nil, &hints, &list)
        guard status == 0, let first = list else {
            throw Failure(description: "cannot resolve \(name): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var result: [String] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            if let raw = current.pointee.ai_addr, let text = Self.text(raw, family: current.pointee.ai_family),
                !result.contains(text)
            {
                result.append(text)
            }
            entry = current.pointee.ai_next
        }
        return result
    }

    private static func text(_ address: UnsafeMutablePointer<sockaddr>, family: Int32) -> String? {
        switch family {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                withUnsafeBytes(of: v4.pointee.sin_addr) { IPAddress(bytes: $0)?.description }
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                withUnsafeBytes(of: v6.pointee.sin6_addr) { IPAddress(bytes: $0)?.description }
            }
        default:
            return nil
        }
    }
}
