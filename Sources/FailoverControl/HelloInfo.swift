/// The result of `hello`:
/// `{"ops": [...], "protocol": 1, "serial": 42, "server": "failoverd", "version": "0.1.0", "zone": "cloud66.net."}`.
public struct HelloInfo: Sendable, Hashable {
    /// ``ControlProtocol/version`` of the daemon.
    public var protocolVersion: Int
    public var server: String
    /// The daemon's version.
    public var version: String
    /// The zone origin, with the trailing dot.
    public var zone: String
    /// The zone's current SOA serial.
    public var serial: UInt32
    /// The operations the daemon serves, sorted.
    public var ops: [String]

    public init(
        version: String, zone: String, serial: UInt32, server: String = "failoverd",
        protocolVersion: Int = ControlProtocol.version,
        ops: [String] = ControlOperation.allCases.map(\.name).sorted()
    ) {
        self.protocolVersion = protocolVersion
        self.server = server
        self.version = version
        self.zone = zone
        self.serial = serial
        self.ops = ops
    }

    public var json: JSONValue {
        .object([
            "protocol": JSONValue(protocolVersion), "server": .string(server), "version": .string(version),
            "zone": .string(zone), "serial": JSONValue(serial), "ops": .array(ops.map(JSONValue.string)),
        ])
    }

    public init?(json: JSONValue) {
        guard let protocolVersion = json["protocol"]?.int64Value, let serial = json["serial"]?.int64Value,
            let serial32 = UInt32(exactly: serial)
        else { return nil }
        self.init(
            version: json["version"]?.stringValue ?? "", zone: json["zone"]?.stringValue ?? "", serial: serial32,
            server: json["server"]?.stringValue ?? "", protocolVersion: Int(protocolVersion),
            ops: json["ops"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }
}
