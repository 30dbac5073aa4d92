/// A resource record type code (RFC 1035 3.2.2 and later registries).
/// Unknown codes are carried as they are and printed as `TYPEnnn` (RFC 3597).
public struct RecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = RecordType(1)
    public static let ns = RecordType(2)
    public static let cname = RecordType(5)
    public static let soa = RecordType(6)
    public static let ptr = RecordType(12)
    public static let hinfo = RecordType(13)
    public static let mx = RecordType(15)
    public static let txt = RecordType(16)
    public static let aaaa = RecordType(28)
    public static let srv = RecordType(33)
    public static let dname = RecordType(39)
    public static let opt = RecordType(41)
    public static let ds = RecordType(43)
    public static let rrsig = RecordType(46)
    public static let nsec = RecordType(47)
    public static let dnskey = RecordType(48)
    public static let tsig = RecordType(250)
    public static let ixfr = RecordType(251)
    public static let axfr = RecordType(252)
    public static let mailb = RecordType(253)
    public static let maila = RecordType(254)
    public static let any = RecordType(255)
    public static let caa = RecordType(257)

    private static let names: [(RecordType, String)] = [
        (.a, "A"), (.ns, "NS"), (.cname, "CNAME"), (.soa, "SOA"), (.ptr, "PTR"), (.hinfo, "HINFO"),
        (.mx, "MX"), (.txt, "TXT"), (.aaaa, "AAAA"), (.srv, "SRV"), (.dname, "DNAME"), (.opt, "OPT"),
        (.ds, "DS"), (.rrsig, "RRSIG"), (.nsec, "NSEC"), (.dnskey, "DNSKEY"), (.tsig, "TSIG"),
        (.ixfr, "IXFR"), (.axfr, "AXFR"), (.mailb, "MAILB"), (.maila, "MAILA"), (.any, "ANY"),
        (.caa, "CAA"),
    ]

    /// Parses a mnemonic (`AAAA`) or the RFC 3597 form (`TYPE65534`).
    public init?(mnemonic: String) {
        let upper = mnemonic.uppercased()
        if let known = Self.names.first(where: { $0.1 == upper }) {
            self = known.0
        } else if upper.hasPrefix("TYPE"), let code = UInt16(upper.dropFirst(4)) {
            self.init(code)
        } else {
            return nil
        }
    }

    public var description: String {
        Self.names.first(where: { $0.0 == self })?.1 ?? "TYPE\(rawValue)"
    }

    /// Meta and question-only types (RFC 6895 3.1): never stored in a zone.
    public var isMetaType: Bool { rawValue == 41 || (rawValue >= 128 && rawValue <= 255) }

    /// Types whose RDATA names may be compressed on the wire (RFC 3597 4: only
    /// the types defined in RFC 1035).
    public var hasCompressibleRDataNames: Bool {
        switch rawValue {
        case 2, 3, 4, 5, 6, 7, 8, 9, 12, 14, 15: true
        default: false
        }
    }
}

/// The record class. Only IN is served; CH is recognised for `version.bind`.
public struct RecordClass: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let internet = RecordClass(rawValue: 1)
    public static let chaos = RecordClass(rawValue: 3)
    public static let none = RecordClass(rawValue: 254)
    public static let any = RecordClass(rawValue: 255)
}
