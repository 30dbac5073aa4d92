import DNSWire
import FailoverApplication
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
    /// Journal records after which the state is compacted into a new checkpoint;
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
    /// `health.ca-file`: PEM certificates HTTPS checks trust besides the system store (a private CA); nil: none.
    public var healthCAFile: String?
    /// `health.resolver`: the recursive DNS server asked for hostname web heads; nil: /etc/resolv.conf's first.
    public var healthResolver: ListenAddress?
    /// Seconds a control connection may stay silent (watchers excepted).
    public var controlIdleTimeout: Double
    /// Events queued for one watcher before it is disconnected.
    public var controlWatcherQueue: Int
    /// UDP worker threads per listen address (0: one per CPU).
    public var udpWorkers: Int
    /// Longest wait, in microseconds, of a UDP worker after a partial batch
    /// before reading again (0: never waits); see ``BatchWaitPolicy``.
    /// `udp.batch-wait-us`, its former name, still sets it.
    public var udpLatencyBudgetMicroseconds: Int
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
        udpLatencyBudgetMicroseconds = UDPServer.defaultLatencyBudgetMicroseconds
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
        let top = try ConfigSection(root, path: "", source: source, known: knownKeys.sorted(), expected: "a mapping")
        if let listen = try top.list("listen", "a list of HOST:PORT strings", { text throws(ConfigError) in
            try ListenAddress(parsing: text)
        }) {
            config.listen = listen
        }
        if let zone = try top.section("zone", known: ["origin", "file"], expected: "a mapping with origin and file") {
            if let text = try zone.string("origin", "a domain name") {
                do {
                    config.origin = try DomainName(text)
                } catch {
                    throw zone.problem("origin", "\(error)")
                }
                guard config.origin != .root else { throw zone.problem("origin", "cannot be the root") }
            }
            if let path = try zone.string("file", "a file path") {
                config.zoneFile = path.hasPrefix("/") ? path : baseDirectory + "/" + path
            }
        }
        if let ttl = try top.integer("ttl", 1...86400, "seconds, 1 to 86400") { config.ttl = UInt32(ttl) }
        if let delay = try top.seconds("switch-delay", "seconds, 0 to 604800", { $0 >= 0 && $0 <= 7 * 86400 }) {
            config.switchDelay = delay
        }
        if let path = try top.string("state-dir", "a directory path") { config.stateDirectory = path }
        config.compactAfter = try top.integer("compact-after", 1...100_000_000, "a number of journal records, at least 1")
            ?? config.compactAfter
        try readControl(top, into: &config)
        try readTransports(top, into: &config)
        try readTransfers(top, into: &config)
        try readAbuseControls(top, into: &config)
        if let health = try top.section("health", known: ["quorum", "ca-file", "resolver"],
                                        expected: "a mapping with quorum, ca-file and resolver") {
            // 64: far more checkers than anyone runs; a larger number is a typo.
            config.healthQuorum = try health.integer("quorum", 1...64, "a number of agreeing checkers, 1 to 64")
            config.healthCAFile = try health.string("ca-file", "the path of a PEM file of CA certificates")
            if let text = try health.string("resolver", "one HOST:PORT string") {
                do {
                    config.healthResolver = try ListenAddress(parsing: text)
                } catch {
                    throw health.problem("resolver", "\(error)")
                }
            }
        }
        if let metrics = try top.section("metrics", known: ["listen"], expected: "a mapping with listen") {
            if let text = try metrics.string("listen", "one HOST:PORT string") {
                do {
                    config.metricsListen = try ListenAddress(parsing: text)
                } catch {
                    throw metrics.problem("listen", "\(error)")
                }
            } else if metrics.values["listen"] != nil {
                throw metrics.fail("listen", "one HOST:PORT string")
            }
        }
        if let level = top.values["log-level"] {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard let text = level as? String, levels.contains(text) else {
                throw top.fail("log-level", "one of \(levels.joined(separator: ", "))")
            }
            config.logLevel = text
        }
        return config
    }

    static func readControl(_ top: ConfigSection, into config: inout DaemonConfig) throws(ConfigError) {
        let known = ["socket", "allow-users", "allow-groups", "group", "max-connections", "idle-timeout", "watcher-queue"]
        guard let control = try top.section("control", known: known) else { return }
        config.controlGroup = try control.string("group", "a group name") ?? config.controlGroup
        config.controlMaxConnections = try control.integer("max-connections", 1...10_000) ?? config.controlMaxConnections
        config.controlWatcherQueue = try control.integer("watcher-queue", 16...1_000_000, "16 to 1000000 events")
            ?? config.controlWatcherQueue
        config.controlIdleTimeout = try control.seconds("idle-timeout", "seconds, above 0", { $0 > 0 && $0 <= 86400 })
            ?? config.controlIdleTimeout
        config.controlSocket = try control.string("socket", "a path") ?? config.controlSocket
        config.controlAllowUsers = try control.strings("allow-users", "a list of user names") ?? config.controlAllowUsers
        config.controlAllowGroups = try control.strings("allow-groups", "a list of group names")
            ?? config.controlAllowGroups
    }

    static func readTransports(_ top: ConfigSection, into config: inout DaemonConfig) throws(ConfigError) {
        if let udp = try top.section("udp", known: ["workers", "latency-budget-us", "batch-wait-us", "receive-buffer"]) {
            config.udpWorkers = try udp.integer("workers", 0...64) ?? config.udpWorkers
            // batch-wait-us, from when every partial batch waited that long, now bounds the adaptive wait.
            if udp.values["latency-budget-us"] != nil, udp.values["batch-wait-us"] != nil {
                throw ConfigError(
                    "\(udp.source): 'udp.batch-wait-us' is the former name of 'udp.latency-budget-us'; give one")
            }
            for key in ["latency-budget-us", "batch-wait-us"] {
                config.udpLatencyBudgetMicroseconds = try udp.integer(
                    key, 0...UDPServer.maxLatencyBudgetMicroseconds,
                    "microseconds, 0 to \(UDPServer.maxLatencyBudgetMicroseconds)") ?? config.udpLatencyBudgetMicroseconds
            }
            let bufferRange = "bytes, 0 (system default) or 65536 to \(UDPServer.maxReceiveBuffer)"
            if let buffer = try udp.integer("receive-buffer", 0...UDPServer.maxReceiveBuffer, bufferRange) {
                // Below 64 KiB a burst is dropped at once; 0 keeps the kernel's default.
                guard buffer == 0 || buffer >= 65536 else { throw udp.fail("receive-buffer", bufferRange) }
                config.udpReceiveBuffer = buffer
            }
        }
        let known = ["idle-timeout", "message-timeout", "max-connections", "max-connections-per-source"]
        if let tcp = try top.section("tcp", known: known) {
            config.tcpMaxConnectionsPerSource = try tcp.integer("max-connections-per-source", 1...100_000)
                ?? config.tcpMaxConnectionsPerSource
            config.tcpIdleTimeout = try tcp.seconds("idle-timeout", "seconds, above 0", { $0 > 0 && $0 <= 3600 })
                ?? config.tcpIdleTimeout
            config.tcpMessageTimeout = try tcp.seconds("message-timeout", "seconds, above 0", { $0 > 0 && $0 <= 600 })
                ?? config.tcpMessageTimeout
            config.tcpMaxConnections = try tcp.integer("max-connections", 1...100_000) ?? config.tcpMaxConnections
        }
    }

    static func readTransfers(_ top: ConfigSection, into config: inout DaemonConfig) throws(ConfigError) {
        let source = top.source
        for entry in try top.entries("tsig-keys", "a list of {name, algorithm, secret}") ?? [] {
            guard let name = entry["name"] as? String, let secret = entry["secret"] as? String else {
                throw ConfigError("\(source): each tsig-keys entry needs a name and a base64 secret")
            }
            let algorithm = entry["algorithm"] as? String ?? "hmac-sha256"
            let key: TSIGKey
            do throws(TSIGKey.Refusal) {
                key = try TSIGKey(name: name, algorithm: algorithm, base64Secret: secret)
            } catch {
                throw ConfigError("\(source): tsig key '\(name)': \(error)")
            }
            guard !config.transfer.keys.contains(where: { $0.name == key.name }) else {
                throw ConfigError("\(source): tsig key '\(name)' is defined twice")
            }
            config.transfer.keys.append(key)
        }
        let keys = config.transfer.keys
        func keyName(_ value: Any?, _ context: String) throws(ConfigError) -> DomainName? {
            guard let value else { return nil }
            guard let text = value as? String, let name = try? DomainName(text),
                keys.contains(where: { $0.name == name.lowercased })
            else {
                throw ConfigError("\(source): \(context): key '\(value)' is not in tsig-keys")
            }
            return name.lowercased
        }
        if let transfer = try top.section("transfer", known: ["allow", "pending-ttl"]) {
            for entry in try transfer.entries("allow", "a list of {address, key}") ?? [] {
                guard let text = entry["address"] as? String, let prefix = AddressPrefix(text) else {
                    throw transfer.problem("allow", "'\(entry["address"] ?? "")' is not an address or prefix")
                }
                config.transfer.rules.append(.init(prefix: prefix, keyName: try keyName(entry["key"], "transfer.allow")))
            }
            if let ttl = try transfer.integer("pending-ttl", 1...3600, "seconds, 1 to 3600") {
                config.transfer.pendingTTL = UInt32(ttl)
            }
        }
        for entry in try top.entries("notify", "a list of {address: HOST:PORT, key}") ?? [] {
            guard let text = entry["address"] as? String else {
                throw ConfigError("\(source): each notify entry needs an address (HOST:PORT)")
            }
            let address = try ListenAddress(parsing: text)
            config.notify.append(NotifyTarget(address: address, keyName: try keyName(entry["key"], "notify")))
        }
    }

    static func readAbuseControls(_ top: ConfigSection, into config: inout DaemonConfig) throws(ConfigError) {
        if let rrl = try top.section("rrl", known: ["responses-per-second", "slip", "ipv4-prefix", "ipv6-prefix", "exempt"]) {
            config.rateLimit.responsesPerSecond = try rrl.integer("responses-per-second", 0...1_000_000)
                ?? config.rateLimit.responsesPerSecond
            config.rateLimit.slip = try rrl.integer("slip", 0...100) ?? config.rateLimit.slip
            config.rateLimit.ipv4PrefixLength = try rrl.integer("ipv4-prefix", 8...32) ?? config.rateLimit.ipv4PrefixLength
            config.rateLimit.ipv6PrefixLength = try rrl.integer("ipv6-prefix", 16...128)
                ?? config.rateLimit.ipv6PrefixLength
            if let exempt = try rrl.list("exempt", "a list of prefixes", { text throws(ConfigError) in
                guard let prefix = AddressPrefix(text) else {
                    throw rrl.problem("exempt", "'\(text)' is not an address or prefix")
                }
                return prefix
            }) {
                config.rateLimit.exempt = exempt
            }
        }
        if let cookies = try top.section("cookies", known: ["enabled", "secret", "rotation"]) {
            config.cookiesEnabled = try cookies.bool("enabled") ?? config.cookiesEnabled
            if let text = try cookies.string("secret", "32 hex digits (16 bytes)") {
                let bytes = stride(from: 0, to: text.utf8.count, by: 2).compactMap { offset -> UInt8? in
                    let start = text.utf8.index(text.utf8.startIndex, offsetBy: offset)
                    guard let end = text.utf8.index(start, offsetBy: 2, limitedBy: text.utf8.endIndex) else { return nil }
                    return UInt8(String(text.utf8[start..<end]) ?? "", radix: 16)
                }
                guard text.utf8.count == 32, bytes.count == 16 else {
                    throw cookies.fail("secret", "32 hex digits (16 bytes)")
                }
                config.cookieSecret = bytes
            }
            config.cookieRotation = try cookies.seconds("rotation", "seconds, at least 60", { $0 >= 60 })
                ?? config.cookieRotation
        }
    }
}
