/// How the daemon probes an app's web head: an HTTP or HTTPS request, or a TCP connect, to every address of
/// the web head, every `interval` seconds.
///
/// JSON (control protocol): `{"type": "http", "port": 80, "path": "/health", "host": "shop.example.com",
/// "expect": "200-399", "interval_seconds": 10, "timeout_seconds": 2, "fall": 3, "rise": 2, "insecure": false}`;
/// every member but `type` is optional. Build values with ``init(kind:port:path:host:expect:interval:timeout:fall:rise:insecure:)``,
/// which validates them.
public struct HealthCheck: Hashable, Sendable, Codable {
    /// The probe.
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        case http
        case https
        case tcp
    }

    public let kind: Kind
    public let port: UInt16
    /// The request path, starting with `/` (HTTP and HTTPS only).
    public let path: String
    /// The Host header and TLS server name; nil: the web head's hostname, or none for an address.
    public let host: String?
    /// Response codes that pass (HTTP and HTTPS only).
    public let expect: ClosedRange<UInt16>
    /// Seconds between two rounds of checks.
    public let interval: UInt32
    /// Seconds one check may take, connect included.
    public let timeout: UInt32
    /// Failed rounds in a row before an up app is down.
    public let fall: UInt8
    /// Passed rounds in a row before an app is up.
    public let rise: UInt8
    /// HTTPS without certificate verification.
    public let insecure: Bool

    /// Longest path: a health URL is short; the bound keeps the app record well under its 4 KiB limit.
    public static let maxPathLength = 512
    /// Longest interval: an hour; a slower check is no health check.
    public static let maxInterval: UInt32 = 3600
    /// Longest timeout: a minute, and never more than the interval (rounds must not overlap).
    public static let maxTimeout: UInt32 = 60
    /// Most rounds for `fall` and `rise`: 10 (at 1 s a round, 10 s; more is a slow check, not a check).
    public static let maxCount: UInt8 = 10

    /// Validates every field; the defaults are those of the control protocol.
    public init(
        kind: Kind, port: UInt16? = nil, path: String? = nil, host: String? = nil,
        expect: ClosedRange<UInt16> = 200...399, interval: UInt32 = 10, timeout: UInt32 = 2, fall: UInt8 = 3,
        rise: UInt8 = 2, insecure: Bool = false
    ) throws(FailoverError) {
        let port = port ?? (kind == .https ? 443 : 80)
        guard port != 0 else { throw .badRequest("health_check.port must be 1 to 65535") }
        if kind == .tcp {
            guard path == nil else { throw .badRequest("health_check.path applies to http and https checks, not tcp") }
            guard host == nil else { throw .badRequest("health_check.host applies to http and https checks, not tcp") }
            guard expect == 200...399 else {
                throw .badRequest("health_check.expect applies to http and https checks, not tcp")
            }
        }
        guard !insecure || kind == .https else { throw .badRequest("health_check.insecure applies to https checks only") }
        let path = path ?? (kind == .tcp ? "" : "/")
        if kind != .tcp { try Self.validatePath(path) }
        let normalizedHost: String?
        if let host {
            guard case .hostname(let name) = try WebHead.hostname(validating: host) else { fatalError("unreachable") }
            normalizedHost = name
        } else {
            normalizedHost = nil
        }
        guard expect.lowerBound >= 100, expect.upperBound <= 599 else {
            throw .badRequest("health_check.expect must lie within 100-599, got \(expect.lowerBound)-\(expect.upperBound)")
        }
        guard interval >= 1, interval <= Self.maxInterval else {
            throw .badRequest("health_check.interval_seconds must be 1 to \(Self.maxInterval), got \(interval)")
        }
        guard timeout >= 1, timeout <= Self.maxTimeout else {
            throw .badRequest("health_check.timeout_seconds must be 1 to \(Self.maxTimeout), got \(timeout)")
        }
        guard timeout <= interval else {
            throw .badRequest(
                "health_check.timeout_seconds (\(timeout)) must not exceed interval_seconds (\(interval))")
        }
        guard fall >= 1, fall <= Self.maxCount else {
            throw .badRequest("health_check.fall must be 1 to \(Self.maxCount), got \(fall)")
        }
        guard rise >= 1, rise <= Self.maxCount else {
            throw .badRequest("health_check.rise must be 1 to \(Self.maxCount), got \(rise)")
        }
        self.kind = kind
        self.port = port
        self.path = path
        self.host = normalizedHost
        self.expect = expect
        self.interval = interval
        self.timeout = timeout
        self.fall = fall
        self.rise = rise
        self.insecure = insecure
    }

    /// Throws unless `path` starts with `/`, has at most 512 bytes, and only visible ASCII (no space: it goes
    /// into a request line as it is).
    static func validatePath(_ path: String) throws(FailoverError) {
        guard path.utf8.first == UInt8(ascii: "/") else {
            throw .badRequest("health_check.path must start with /, got \(quoted(path))")
        }
        guard path.utf8.count <= maxPathLength else {
            throw .badRequest("health_check.path is \(path.utf8.count) bytes long; the limit is \(maxPathLength)")
        }
        guard path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .badRequest("health_check.path may hold only visible ASCII characters (percent-encode the rest)")
        }
    }

    /// Parses `"200"` or `"200-399"`.
    public static func expectRange(parsing text: String) throws(FailoverError) -> ClosedRange<UInt16> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count <= 2, let low = parts.first.flatMap({ UInt16($0) }),
            let high = parts.count == 2 ? UInt16(parts[1]) : low
        else { throw .badRequest("health_check.expect must be a status or a range like \"200-399\", got \(quoted(text))") }
        guard low <= high else { throw .badRequest("health_check.expect range \(quoted(text)) runs backwards") }
        return low...high
    }

    /// `"200-399"`, or `"200"` for a single status.
    public var expectText: String {
        expect.lowerBound == expect.upperBound ? "\(expect.lowerBound)" : "\(expect.lowerBound)-\(expect.upperBound)"
    }

    private enum CodingKeys: String, CodingKey {
        case kind, port, path, host, expect, interval, timeout, fall, rise, insecure
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(
                kind: try container.decode(Kind.self, forKey: .kind), port: try container.decode(UInt16.self, forKey: .port),
                path: try container.decodeIfPresent(String.self, forKey: .path).flatMap { $0.isEmpty ? nil : $0 },
                host: try container.decodeIfPresent(String.self, forKey: .host),
                expect: try Self.expectRange(parsing: try container.decode(String.self, forKey: .expect)),
                interval: try container.decode(UInt32.self, forKey: .interval),
                timeout: try container.decode(UInt32.self, forKey: .timeout),
                fall: try container.decode(UInt8.self, forKey: .fall), rise: try container.decode(UInt8.self, forKey: .rise),
                insecure: try container.decode(Bool.self, forKey: .insecure))
        } catch let error as FailoverError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(port, forKey: .port)
        if kind != .tcp { try container.encode(path, forKey: .path) }
        try container.encodeIfPresent(host, forKey: .host)
        try container.encode(expectText, forKey: .expect)
        try container.encode(interval, forKey: .interval)
        try container.encode(timeout, forKey: .timeout)
        try container.encode(fall, forKey: .fall)
        try container.encode(rise, forKey: .rise)
        try container.encode(insecure, forKey: .insecure)
    }
}
