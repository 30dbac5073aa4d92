import DNSWire

/// The static part of the failover zone: apex, static names and delegations,
/// validated and indexed for lookup. Immutable once built.
public final class StaticZone: Sendable {
    /// One owner name with its RRsets. Empty non-terminals are nodes with no
    /// RRsets, so they answer NODATA rather than NXDOMAIN.
    public struct Node: Sendable {
        public let name: DomainName
        public let lowercasedWire: [UInt8]
        public let rrsets: [RRset]
        /// NS records below the apex: a zone cut (answers are referrals).
        public let isDelegation: Bool

        @inline(__always)
        public func rrsetIndex(of type: RecordType) -> Int? {
            for index in rrsets.indices where rrsets[index].type == type { return index }
            return nil
        }
    }

    /// Largest RDATA accepted in a zone (see the check in `init`).
    public static let maxRDataLength = 64_000

    public let origin: DomainName
    public let nodes: [Node]
    public let apexIndex: Int
    /// Warnings seen while building (e.g. TTLs differing inside an RRset).
    public let warnings: [String]
    private let table: NameTable

    public var soa: RRset { nodes[apexIndex].rrsets[nodes[apexIndex].rrsetIndex(of: .soa)!] }

    /// Serial from the SOA RDATA (the 4 bytes after the two names).
    public var serial: UInt32 { SOAFields.serial(of: soa.rdatas[0]) }

    /// Negative-answer TTL: min(SOA TTL, SOA MINIMUM) (RFC 2308 3).
    public var negativeTTL: UInt32 { min(soa.ttl, SOAFields.minimum(of: soa.rdatas[0])) }

    /// Finds a node by lowercased wire name.
    @inline(__always)
    public func find(_ lowercasedWire: UnsafeRawBufferPointer) -> Int? { table.find(lowercasedWire) }

    public func find(_ name: DomainName) -> Int? {
        name.lowercased.wire.withUnsafeBytes { table.find($0) }
    }

    /// Validates the records and builds the zone. `source` names the file in
    /// errors.
    public init(origin: DomainName, records: [ZoneRecord], source: String) throws(ZoneError) {
        let origin = origin.lowercased
        var warnings: [String] = []
        struct Pending {
            var name: DomainName
            var rrsets: [RRset] = []
            var lines: [RecordType: Int] = [:]
        }
        var byName: [DomainName: Pending] = [:]
        var order: [DomainName] = []
        for record in records {
            guard record.name.isSubdomain(of: origin) else {
                throw ZoneError(source: source, line: record.line,
                                message: "\(record.name) \(record.type) is outside the zone \(origin)")
            }
            if record.type.isMetaType {
                throw ZoneError(source: source, line: record.line, message: "type \(record.type) cannot be stored in a zone")
            }
            if record.type == .dname {
                throw ZoneError(source: source, line: record.line, message: "DNAME records are not supported")
            }
            // One record must fit a message with its question and a TSIG:
            // 64,000 bytes of RDATA leaves room for both under 65,535.
            guard record.rdata.count <= Self.maxRDataLength else {
                throw ZoneError(source: source, line: record.line,
                                message: "\(record.name) \(record.type): \(record.rdata.count) bytes of data is more than one DNS message can carry (\(Self.maxRDataLength))")
            }
            guard isWellFormedRData(record.rdata, type: record.type) else {
                throw ZoneError(source: source, line: record.line, message: "malformed \(record.type) data")
            }
            if byName[record.name] == nil {
                byName[record.name] = Pending(name: record.name)
                order.append(record.name)
            }
            var pending = byName[record.name]!
            if let index = pending.rrsets.firstIndex(where: { $0.type == record.type }) {
                if pending.rrsets[index].ttl != record.ttl {
                    warnings.append("\(source):\(record.line): TTL \(record.ttl) differs from \(pending.rrsets[index].ttl) in the \(record.name) \(record.type) RRset; using the lower")
                    pending.rrsets[index].ttl = min(pending.rrsets[index].ttl, record.ttl)
                }
                if !pending.rrsets[index].rdatas.contains(record.rdata) {
                    pending.rrsets[index].rdatas.append(record.rdata)
                }
            } else {
                pending.rrsets.append(RRset(type: record.type, ttl: record.ttl, rdatas: [record.rdata]))
                pending.lines[record.type] = record.line
            }
            byName[record.name] = pending
        }
        guard let apex = byName[origin] else {
            throw ZoneError(source: source, message: "no SOA record at the zone apex \(origin)")
        }
        guard let soaSet = apex.rrsets.first(where: { $0.type == .soa }) else {
            throw ZoneError(source: source, message: "no SOA record at the zone apex \(origin)")
        }
        guard soaSet.rdatas.count == 1 else {
            throw ZoneError(source: source, line: apex.lines[.soa], message: "more than one SOA record at the apex")
        }
        guard apex.rrsets.contains(where: { $0.type == .ns }) else {
            throw ZoneError(source: source, message: "no NS records at the zone apex \(origin)")
        }
        for name in order {
            let pending = byName[name]!
            if name != origin, pending.rrsets.contains(where: { $0.type == .soa }) {
                throw ZoneError(source: source, line: pending.lines[.soa], message: "SOA record for \(name) is not at the apex")
            }
            if let cname = pending.rrsets.first(where: { $0.type == .cname }) {
                if cname.rdatas.count > 1 {
                    throw ZoneError(source: source, line: pending.lines[.cname], message: "more than one CNAME at \(name)")
                }
                if let other = pending.rrsets.first(where: { $0.type != .cname }) {
                    throw ZoneError(source: source, line: pending.lines[other.type] ?? pending.lines[.cname],
                                    message: "\(name) has a CNAME and other data (\(other.type)); a CNAME must stand alone")
                }
            }
        }
        // Empty non-terminals: every ancestor up to the apex exists as a node.
        for name in order {
            var ancestor = name.parent
            while ancestor.isSubdomain(of: origin), ancestor != origin, byName[ancestor] == nil {
                byName[ancestor] = Pending(name: ancestor)
                order.append(ancestor)
                ancestor = ancestor.parent
            }
        }
        var nodes: [Node] = []
        nodes.reserveCapacity(order.count)
        for name in order {
            let pending = byName[name]!
            let isDelegation = name != origin && pending.rrsets.contains(where: { $0.type == .ns })
            nodes.append(Node(name: name, lowercasedWire: name.lowercased.wire, rrsets: pending.rrsets,
                              isDelegation: isDelegation))
        }
        self.origin = origin
        self.nodes = nodes
        self.warnings = warnings
        self.table = NameTable(keys: nodes.map(\.lowercasedWire))
        self.apexIndex = nodes.firstIndex(where: { $0.name == origin })!
    }
}
