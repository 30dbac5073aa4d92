import DNSWire

/// One record as read from a zone file, with where it came from.
public struct ZoneRecord: Sendable, Equatable {
    public var name: DomainName
    public var type: RecordType
    public var ttl: UInt32
    /// Uncompressed RDATA.
    public var rdata: [UInt8]
    /// Line in the source file (1-based), 0 when not from a file.
    public var line: Int

    public init(name: DomainName, type: RecordType, ttl: UInt32, rdata: [UInt8], line: Int = 0) {
        self.name = name
        self.type = type
        self.ttl = ttl
        self.rdata = rdata
        self.line = line
    }
}

/// All records of one name and type, served together with one TTL.
public struct RRset: Sendable, Equatable {
    public var type: RecordType
    public var ttl: UInt32
    /// Uncompressed RDATA of each record, duplicates removed.
    public var rdatas: [[UInt8]]

    public init(type: RecordType, ttl: UInt32, rdatas: [[UInt8]]) {
        self.type = type
        self.ttl = ttl
        self.rdatas = rdatas
    }
}
