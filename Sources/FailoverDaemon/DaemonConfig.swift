import DNSWire
import FailoverControl
import Foundation
import Yams
import ZoneTransfer

/// A configuration problem, described so an operator can fix it.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }

    /// The same error with the line of the key it names ('control.group' and
    /// the like, the first quoted dotted path) after the file name, when that
    /// key is in the file: "FILE: 'ttl' must be ..." becomes "FILE:12: 'ttl' must be ...".
    func locating(in text: String, source: String) -> ConfigError {
        let prefix = source + ": "
        guard description.hasPrefix(prefix), let line = Self.line(of: Self.quotedKeyPath(description), in: text)
        else { return self }
        return ConfigError("\(source):\(line): " + description.dropFirst(prefix.count))
    }

    static func quotedKeyPath(_ message: String) -> [String] {
        let parts = message.split(separator: "'", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return [] }
        return parts[1].split(separator: ".").map(String.init)
    }

    /// The 1-based line of the key at `path` in a YAML document, if present.
    static func line(of path: [String], in text: String) -> Int? {
        guard !path.isEmpty, var node = try? Yams.compose(yaml: text) else { return nil }
        for (index, key) in path.enumerated() {
            guard let entry = node.mapping?.first(where: { $0.key.string == key }) else { return nil }
            if index == path.count - 1 { return entry.key.mark?.line }
            node = entry.value
        }
        return nil
    }
}

/// The daemon's configuration (YAML). Every key is optional; the defaults run
/// out of the box on loopback and an unprivileged port.
public struct DaemonConfig: Sendable, Equatable {
    public var listen: [ListenAddress]
    public var origin: DomainName
    /// Master file for the apex and static names; nil serves a built-in apex.
    public var zoneFile: String?
    /// TTL of failover group answers, seconds.
    public var ttl: UInt32
    /// Default delay of a switch, seconds.
    public var switchDelay: Double
    public var stateDirectory: String
    /// Journal records after which the state is compacted into a new snapshot;
    /// nil: automatic (see ``FailoverService/defaultCompactionThreshold``).
    public var compactAfter: Int?
    public var controlSocket: String
    public var controlAllowUsers: [String]
    public var controlAllowGroups: [String]
    /// Group that owns the control socket file (mode 0660); nil keeps the daemon's.
    public var controlGroup: String?
    public var controlMaxConnections: Int
    /// `health.quorum`: fresh verdicts needed for an app to be up or down; nil: a majority of them.
    public var healthQuorum: Int?
    /// Seconds a control connection may stay silent (watchers excepted).
    public var controlIdleTimeout: Double
    /// Events queued for one watcher before it is disconnected.
    public var controlWatcherQueue: Int
    /// UDP worker threads per listen address (0: one per CPU).
    public var udpWorkers: Int
    /// Microseconds a UDP worker waits after a partial batch of two or more
    /// queries before reading again (0: never waits); see ``UDPServer``.
    public var udpBatchWaitMicroseconds: Int
    /// Bytes of receive buffer asked for each UDP socket (0: the system's default).
    public var udpReceiveBuffer: Int
    /// Seconds a TCP connection may stay idle between queries.
    public var tcpIdleTimeout: Double
    /// Seconds a client has to send one whole query once it started one.
    public var tcpMessageTimeout: Double
    /// Most simultaneous TCP connections.
    public var tcpMaxConnections: Int
    /// Most simultaneous TCP connections from one address.
    public var tcpMaxConnectionsPerSource: Int
    /// Who may transfer the zone, with which TSIG keys.
    public var transfer: TransferPolicy
    /// Secondaries told of every new serial (NOTIFY, RFC 1996).
    public var notify: [NotifyTarget]
    /// Response rate limiting of UDP answers.
    public var rateLimit: ResponseRateLimiter.Settings
    /// DNS cookies: on by default; a fixed secret (32 hex digits) for servers
    /// sharing an address, else a random one rotated every `cookieRotation` s.
    public var cookiesEnabled: Bool
    public var cookieSecret: [UInt8]?
    public var cookieRotation: Double
    public var logLevel: String
    /// Address of the Prometheus endpoint (`GET /metrics`); nil: metrics off.
    public var metricsListen: ListenAddress?
    /// Where the file came from, for messages.
    public var source: String

    public static let defaultListen = ["127.0.0.1:5353", "[::1]:5353"]

    /// systemd's StateDirectory, else /var/lib/failoverd for root, else the
    /// user's state directory, so an unprivileged run needs no setup.
    public static var defaultStateDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        if let state = environment["STATE_DIRECTORY"]?.split(separator: ":").first { return String(state) }
        if getuid() == 0 { return "/var/lib/failoverd" }
        if let state = environment["XDG_STATE_HOME"], !state.isEmpty { return state + "/failoverd" }
        return NSHomeDirectory() + "/.local/state/failoverd"
    }

    public init() {
        listen = Self.defaultListen.map { try! ListenAddress(parsing: $0) }
        origin = try! DomainName("cloud66.net.")
        zoneFile = nil
        ttl = 30
        switchDelay = 30
        stateDirectory = Self.defaultStateDirectory
        compactAfter = nil
        controlSocket = ControlProtocol.defaultSocketPath
        controlAllowUsers = ["root"]
        controlAllowGroups = ["failoverd-ctl"]
        controlGroup = nil
        controlMaxConnections = 64
        controlIdleTimeout = 300
        controlWatcherQueue = 4096
        udpWorkers = 0
        udpBatchWaitMicroseconds = UDPServer.defaultBatchWaitMicroseconds
        udpReceiveBuffer = UDPServer.defaultReceiveBuffer
        tcpIdleTimeout = 10
        tcpMessageTimeout = 5
        tcpMaxConnections = 256
        tcpMaxConnectionsPerSource = 32
        logLevel = "info"
        transfer = TransferPolicy()
        notify = []
        rateLimit = ResponseRateLimiter.Settings()
        cookiesEnabled = true
        cookieSecret = nil
        cookieRotation = 86400
        metricsListen = nil
        source = "<defaults>"
    }

    /// Reads and validates a YAML file; relative zone paths are taken from
    /// the config file's folder.
    public static func load(path: String) throws(ConfigError) -> DaemonConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError("\(path): cannot read the config file: \(error.localizedDescription)")
        }
        let base = (path as NSString).deletingLastPathComponent
        return try parse(yaml: text, source: path, baseDirectory: base.isEmpty ? "." : base)
    }

    static let knownKeys: Set<String> = [
        "listen", "zone", "ttl", "switch-delay", "state-dir", "compact-after", "control", "udp", "tcp", "log-level", "tsig-keys",
        "transfer", "notify", "metrics", "rrl", "cookies", "health",
    ]

    /// Parses a YAML configuration; an error about a key names the key's line
    /// (`FILE:LINE: reason`, as zone file errors do).
    public static func parse(yaml text: String, source: String, baseDirectory: String = ".") throws(ConfigError)
        -> DaemonConfig
    {
        do {
            return try parseKeys(yaml: text, source: source, baseDirectory: baseDirectory)
        } catch {
            throw error.locating(in: text, source: source)
        }
    }

    private static func parseKeys(yaml text: String, source: String, baseDirectory: String) throws(ConfigError)
        -> DaemonConfig
    {
        var config = DaemonConfig()
        config.source = source
        let root: Any?
        do {
            root = try Yams.load(yaml: text)
        } catch {
            // Yams says "LINE:COLUMN: error: ..."; put the line where every other error has it.
            let text = "\(error)"
            let line = text.prefix { $0.isNumber }
            if !line.isEmpty, text.dropFirst(line.count).first == ":" {
                throw ConfigError("\(source):\(line): not valid YAML: \(text)")
            }
            throw ConfigError("\(source): not valid YAML: \(text)")
        }
        guard let root else { return config }
        guard let map = root as? [String: Any] else {
            throw ConfigError("\(source): the top level must be a mapping of keys (listen, zone, ttl, ...)")
        }
        for key in map.keys where !knownKeys.contains(key) {
            throw ConfigError("\(source): unknown key '\(key)' (known: \(knownKeys.sorted().joined(separator: ", ")))")
        }
        func fail(_ key: String, _ expected: String) -> ConfigError {
            ConfigError("\(source): '\(key)' must be \(expected)")
        }
        if let listen = map["listen"] {
            guard let list = listen as? [Any] else { throw fail("listen", "a list of addresses") }
            config.listen = []
            for item in list {
                guard let text = item as? String else { throw fail("listen", "a list of HOST:PORT strings") }
                config.listen.append(try ListenAddress(parsing: text))
            }
        }
        if let zone = map["zone"] {
            guard let zone = zone as? [String: Any] else { throw fail("zone", "a mapping with origin and file") }
            for key in zone.keys where !["origin", "file"].contains(key) {
                throw ConfigError("\(source): unknown key 'zone.\(key)' (known: origin, file)")
            }
            if let origin = zone["origin"] {
                guard let text = origin as? String else { throw fail("zone.origin", "a domain name") }
                do {
                    config.origin = try DomainName(text)
                } catch {
                    throw ConfigError("\(source): zone.origin: \(error)")
                }
                guard config.origin != .root else { throw ConfigError("\(source): zone.origin cannot be the root") }
            }
            if let file = zone["file"] {
                guard let path = file as? String, !path.isEmpty else { throw fail("zone.file", "a file path") }
                config.zoneFile = path.hasPrefix("/") ? path : baseDirectory + "/" + path
            }
        }
        if let ttl = map["ttl"] {
            guard let value = ttl as? Int, value >= 1, value <= 86400 else { throw fail("ttl", "seconds, 1 to 86400") }
            config.ttl = UInt32(value)
        }
        if let delay = map["switch-delay"] {
            guard let value = number(delay), value >= 0, value <= 7 * 86400 else {
                throw fail("switch-delay", "seconds, 0 to 604800")
            }
            config.switchDelay = value
        }
        if let dir = map["state-dir"] {
            guard let path = dir as? String, !path.isEmpty else { throw fail("state-dir", "a directory path") }
            config.stateDirectory = path
        }
        if let compact = map["compact-after"] {
            guard let value = compact as? Int, value >= 1, value <= 100_000_000 else {
                throw fail("compact-after", "a number of journal records, at least 1")
            }
            config.compactAfter = value
        }
        if let health = map["health"] {
            guard let health = health as? [String: Any] else { throw fail("health", "a mapping") }
            for key in health.keys where key != "quorum" {
                throw ConfigError("\(source): unknown key 'health.\(key)' (known: quorum)")
            }
            if let quorum = health["quorum"] {
                // 64: far more checkers than anyone runs; a larger number is a typo.
                guard let value = quorum as? Int, value >= 1, value <= 64 else {
                    throw fail("health.quorum", "a number of agreeing checkers, 1 to 64")
                }
                config.healthQuorum = value
            }
        }
        if let control = map["control"] {
            guard let control = control as? [String: Any] else { throw fail("control", "a mapping") }
            let known = ["socket", "allow-users", "allow-groups", "group", "max-connections", "idle-timeout", "watcher-queue"]
            for key in control.keys where !known.contains(key) {
                throw ConfigError("\(source): unknown key 'control.\(key)' (known: \(known.joined(separator: ", ")))")
            }
            if let group = control["group"] {
                guard let name = group as? String, !name.isEmpty else { throw fail("control.group", "a group name") }
                config.controlGroup = name
            }
            if let cap = control["max-connections"] {
                guard let value = cap as? Int, value >= 1, value <= 10_000 else {
                    throw fail("control.max-connections", "1 to 10000")
                }
                config.controlMaxConnections = value
            }
            if let queue = control["watcher-queue"] {
                guard let value = queue as? Int, value >= 16, value <= 1_000_000 else {
                    throw fail("control.watcher-queue", "16 to 1000000 events")
                }
                config.controlWatcherQueue = value
            }
            if let idle = control["idle-timeout"] {
                guard let value = number(idle), value > 0, value <= 86400 else {
                    throw fail("control.idle-timeout", "seconds, above 0")
                }
                config.controlIdleTimeout = value
            }
            if let socket = control["socket"] {
                guard let path = socket as? String, !path.isEmpty else { throw fail("control.socket", "a path") }
                config.controlSocket = path
            }
            if let users = control["allow-users"] {
                guard let list = users as? [String] else { throw fail("control.allow-users", "a list of user names") }
                config.controlAllowUsers = list
            }
            if let groups = control["allow-groups"] {
                guard let list = groups as? [String] else { throw fail("control.allow-groups", "a list of group names") }
                config.controlAllowGroups = list
            }
        }
        if let udp = map["udp"] {
            guard let udp = udp as? [String: Any] else { throw fail("udp", "a mapping") }
            for key in udp.keys where !["workers", "batch-wait-us", "receive-buffer"].contains(key) {
                throw ConfigError("\(source): unknown key 'udp.\(key)' (known: workers, batch-wait-us, receive-buffer)")
            }
            if let workers = udp["workers"] {
                guard let value = workers as? Int, value >= 0, value <= 64 else { throw fail("udp.workers", "0 to 64") }
                config.udpWorkers = value
            }
            if let wait = udp["batch-wait-us"] {
                guard let value = wait as? Int, value >= 0, value <= UDPServer.maxBatchWaitMicroseconds else {
                    throw fail("udp.batch-wait-us", "microseconds, 0 to \(UDPServer.maxBatchWaitMicroseconds)")
                }
                config.udpBatchWaitMicroseconds = value
            }
            if let buffer = udp["receive-buffer"] {
                guard let value = buffer as? Int, value == 0 || (value >= 65536 && value <= UDPServer.maxReceiveBuffer)
                else {
                    throw fail("udp.receive-buffer", "bytes, 0 (system default) or 65536 to \(UDPServer.maxReceiveBuffer)")
                }
                config.udpReceiveBuffer = value
            }
        }
        if let tcp = map["tcp"] {
            guard let tcp = tcp as? [String: Any] else { throw fail("tcp", "a mapping") }
            let known = ["idle-timeout", "message-timeout", "max-connections", "max-connections-per-source"]
            for key in tcp.keys where !known.contains(key) {
                throw ConfigError("\(source): unknown key 'tcp.\(key)' (known: \(known.joined(separator: ", ")))")
            }
            if let cap = tcp["max-connections-per-source"] {
                guard let value = cap as? Int, value >= 1, value <= 100_000 else {
                    throw fail("tcp.max-connections-per-source", "1 to 100000")
                }
                config.tcpMaxConnectionsPerSource = value
            }
            if let idle = tcp["idle-timeout"] {
                guard let value = number(idle), value > 0, value <= 3600 else { throw fail("tcp.idle-timeout", "seconds, above 0") }
                config.tcpIdleTimeout = value
            }
            if let message = tcp["message-timeout"] {
                guard let value = number(message), value > 0, value <= 600 else {
                    throw fail("tcp.message-timeout", "seconds, above 0")
                }
                config.tcpMessageTimeout = value
            }
            if let cap = tcp["max-connections"] {
                guard let value = cap as? Int, value >= 1, value <= 100_000 else {
                    throw fail("tcp.max-connections", "1 to 100000")
                }
                config.tcpMaxConnections = value
            }
        }
        try parseTransfers(map, into: &config, source: source)
        try parseAbuseControls(map, into: &config, source: source)
        if let metrics = map["metrics"] {
            guard let metrics = metrics as? [String: Any] else { throw fail("metrics", "a mapping with listen") }
            for key in metrics.keys where key != "listen" {
                throw ConfigError("\(source): unknown key 'metrics.\(key)' (known: listen)")
            }
            if let listen = metrics["listen"] {
                guard let text = listen as? String else { throw fail("metrics.listen", "one HOST:PORT string") }
                do {
                    config.metricsListen = try ListenAddress(parsing: text)
                } catch {
                    throw ConfigError("\(source): metrics.listen: \(error)")
                }
            }
        }
        if let level = map["log-level"] {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard let text = level as? String, levels.contains(text) else {
                throw fail("log-level", "one of \(levels.joined(separator: ", "))")
            }
            config.logLevel = text
        }
        return config
    }

    static func parseTransfers(_ map: [String: Any], into config: inout DaemonConfig, source: String) throws(ConfigError) {
        if let keys = map["tsig-keys"] {
            guard let list = keys as? [[String: Any]] else {
                throw ConfigError("\(source): 'tsig-keys' must be a list of {name, algorithm, secret}")
            }
            for entry in list {
                guard let name = entry["name"] as? String, let secret = entry["secret"] as? String else {
                    throw ConfigError("\(source): each tsig-keys entry needs a name and a base64 secret")
                }
                let algorithm = entry["algorithm"] as? String ?? "hmac-sha256"
                guard let key = TSIGKey(name: name, algorithm: algorithm, base64Secret: secret) else {
                    throw ConfigError("\(source): tsig key '\(name)': algorithm must be hmac-sha256 or hmac-sha512 and the secret base64")
                }
                guard !config.transfer.keys.contains(where: { $0.name == key.name }) else {
                    throw ConfigError("\(source): tsig key '\(name)' is defined twice")
                }
                config.transfer.keys.append(key)
            }
        }
        func keyName(_ value: Any?, _ context: String) throws(ConfigError) -> DomainName? {
            guard let value else { return nil }
            guard let text = value as? String, let name = try? DomainName(text),
                config.transfer.keys.contains(where: { $0.name == name.lowercased })
            else {
                throw ConfigError("\(source): \(context): key '\(value)' is not in tsig-keys")
            }
            return name.lowercased
        }
        if let transfer = map["transfer"] {
            guard let transfer = transfer as? [String: Any] else { throw ConfigError("\(source): 'transfer' must be a mapping") }
            for key in transfer.keys where !["allow", "pending-ttl"].contains(key) {
                throw ConfigError("\(source): unknown key 'transfer.\(key)' (known: allow, pending-ttl)")
            }
            if let allow = transfer["allow"] {
                guard let list = allow as? [[String: Any]] else {
                    throw ConfigError("\(source): 'transfer.allow' must be a list of {address, key}")
                }
                for entry in list {
                    guard let text = entry["address"] as? String, let prefix = AddressPrefix(text) else {
                        throw ConfigError("\(source): transfer.allow: '\(entry["address"] ?? "")' is not an address or prefix")
                    }
                    config.transfer.rules.append(.init(prefix: prefix, keyName: try keyName(entry["key"], "transfer.allow")))
                }
            }
            if let ttl = transfer["pending-ttl"] {
                guard let value = ttl as? Int, value >= 1, value <= 3600 else {
                    throw ConfigError("\(source): 'transfer.pending-ttl' must be seconds, 1 to 3600")
                }
                config.transfer.pendingTTL = UInt32(value)
            }
        }
        if let notify = map["notify"] {
            guard let list = notify as? [[String: Any]] else {
                throw ConfigError("\(source): 'notify' must be a list of {address: HOST:PORT, key}")
            }
            for entry in list {
                guard let text = entry["address"] as? String else {
                    throw ConfigError("\(source): each notify entry needs an address (HOST:PORT)")
                }
                let address = try ListenAddress(parsing: text)
                config.notify.append(NotifyTarget(address: address, keyName: try keyName(entry["key"], "notify")))
            }
        }
    }

    static func parseAbuseControls(_ map: [String: Any], into config: inout DaemonConfig, source: String)
        throws(ConfigError)
    {
        if let rrl = map["rrl"] {
            guard let rrl = rrl as? [String: Any] else { throw ConfigError("\(source): 'rrl' must be a mapping") }
            let known = ["responses-per-second", "slip", "ipv4-prefix", "ipv6-prefix", "exempt"]
            for key in rrl.keys where !known.contains(key) {
                throw ConfigError("\(source): unknown key 'rrl.\(key)' (known: \(known.joined(separator: ", ")))")
            }
            func integer(_ key: String, _ range: ClosedRange<Int>) throws(ConfigError) -> Int? {
                guard let value = rrl[key] else { return nil }
                guard let number = value as? Int, range.contains(number) else {
                    throw ConfigError("\(source): 'rrl.\(key)' must be \(range.lowerBound) to \(range.upperBound)")
                }
                return number
            }
            if let value = try integer("responses-per-second", 0...1_000_000) { config.rateLimit.responsesPerSecond = value }
            if let value = try integer("slip", 0...100) { config.rateLimit.slip = value }
            if let value = try integer("ipv4-prefix", 8...32) { config.rateLimit.ipv4PrefixLength = value }
            if let value = try integer("ipv6-prefix", 16...128) { config.rateLimit.ipv6PrefixLength = value }
            if let exempt = rrl["exempt"] {
                guard let list = exempt as? [Any] else { throw ConfigError("\(source): 'rrl.exempt' must be a list of prefixes") }
                config.rateLimit.exempt = []
                for item in list {
                    guard let text = item as? String, let prefix = AddressPrefix(text) else {
                        throw ConfigError("\(source): rrl.exempt: '\(item)' is not an address or prefix")
                    }
                    config.rateLimit.exempt.append(prefix)
                }
            }
        }
        if let cookies = map["cookies"] {
            guard let cookies = cookies as? [String: Any] else { throw ConfigError("\(source): 'cookies' must be a mapping") }
            for key in cookies.keys where !["enabled", "secret", "rotation"].contains(key) {
                throw ConfigError("\(source): unknown key 'cookies.\(key)' (known: enabled, secret, rotation)")
            }
            if let enabled = cookies["enabled"] {
                guard let flag = enabled as? Bool else { throw ConfigError("\(source): 'cookies.enabled' must be true or false") }
                config.cookiesEnabled = flag
            }
            if let secret = cookies["secret"] {
                guard let text = secret as? String, text.count == 32,
                    let bytes = Optional(stride(from: 0, to: 32, by: 2).compactMap({ offset -> UInt8? in
                        let start = text.index(text.startIndex, offsetBy: offset)
                        return UInt8(text[start..<text.index(start, offsetBy: 2)], radix: 16)
                    })), bytes.count == 16
                else {
                    throw ConfigError("\(source): 'cookies.secret' must be 32 hex digits (16 bytes)")
                }
                config.cookieSecret = bytes
            }
            if let rotation = cookies["rotation"] {
                guard let value = number(rotation), value >= 60 else {
                    throw ConfigError("\(source): 'cookies.rotation' must be seconds, at least 60")
                }
                config.cookieRotation = value
            }
        }
    }

    private static func number(_ value: Any) -> Double? {
        if let int = value as? Int { return Double(int) }
        return value as? Double
    }
}
