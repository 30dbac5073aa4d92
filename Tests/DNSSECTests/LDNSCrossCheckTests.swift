import CLDNS
import DNSSEC
import DNSWire
import Foundation
import Testing

/// An independent validator agrees: RRsets of the kinds failoverd serves
/// (A, AAAA, CNAME, and the static zone's MX and NS, with names in mixed
/// case, several records in any order, wildcard owners) signed here are
/// checked by libldns's `ldns_verify_rrsig` against the DNSKEY, for both
/// algorithms; a changed record or TTL is refused by it.
@Suite struct LDNSCrossCheckTests {
    struct RRset {
        var owner: String
        var type: RecordType
        var rdatas: [[UInt8]]
        /// The name a wildcard answer is served under, when the owner is a wildcard.
        var servedAs: String? = nil
    }

    static func name(_ text: String) -> [UInt8] { (try! DomainName(text)).wire }

    static let rrsets: [RRset] = [
        RRset(owner: "414-262-781.Cloud66.net", type: .a, rdatas: [[192, 0, 2, 7], [192, 0, 2, 1], [198, 51, 100, 9]]),
        RRset(owner: "414-262-781.cloud66.net", type: .aaaa, rdatas: [[0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1]]),
        RRset(owner: "000-000-001.cloud66.net", type: .cname, rdatas: [name("LB-1.Example.NET")]),
        RRset(owner: "cloud66.net", type: .mx, rdatas: [[0, 20] + name("Mx2.cloud66.net"), [0, 10] + name("mx1.cloud66.net")]),
        RRset(owner: "cloud66.net", type: .ns, rdatas: [name("NS1.cloud66.net"), name("ns2.cloud66.net")]),
        RRset(owner: "*.static.cloud66.net", type: .a, rdatas: [[203, 0, 113, 5]], servedAs: "deep.name.static.cloud66.net"),
    ]

    /// One resource record in wire form, parsed by libldns.
    static func ldnsRR(owner: [UInt8], type: RecordType, ttl: UInt32, rdata: [UInt8]) -> UnsafeMutablePointer<ldns_rr>? {
        var wire = owner
        wire += [UInt8(type.rawValue >> 8), UInt8(type.rawValue & 0xFF), 0, 1]
        wire += [UInt8(ttl >> 24), UInt8((ttl >> 16) & 0xFF), UInt8((ttl >> 8) & 0xFF), UInt8(ttl & 0xFF)]
        wire += [UInt8(rdata.count >> 8), UInt8(rdata.count & 0xFF)] + rdata
        var rr: UnsafeMutablePointer<ldns_rr>? = nil
        var position = 0
        let status = wire.withUnsafeBufferPointer { ldns_wire2rr(&rr, $0.baseAddress!, wire.count, &position, LDNS_SECTION_ANSWER) }
        return status == LDNS_STATUS_OK ? rr : nil
    }

    /// What libldns says of `rrsig` over the RRset under `dnskey`.
    static func ldnsVerdict(_ rrset: RRset, ttl: UInt32, rrsig: RRSIGRecord, dnskey: DNSKEYRecord, zone: String) -> String {
        let owner = name(rrset.servedAs ?? rrset.owner)
        let list = ldns_rr_list_new()
        defer { ldns_rr_list_deep_free(list) }
        for rdata in rrset.rdatas {
            guard let rr = ldnsRR(owner: owner, type: rrset.type, ttl: ttl, rdata: rdata) else { return "rr unparsed" }
            ldns_rr_list_push_rr(list, rr)
        }
        guard let signature = ldnsRR(owner: owner, type: .rrsig, ttl: ttl, rdata: rrsig.rdata),
              let key = ldnsRR(owner: name(zone), type: .dnskey, ttl: 3600, rdata: dnskey.rdata)
        else { return "rrsig or dnskey unparsed" }
        defer { ldns_rr_free(signature); ldns_rr_free(key) }
        let status = ldns_verify_rrsig(list, signature, key)
        return String(cString: ldns_get_errorstr_by_id(status))
    }

    @Test(arguments: DNSSECAlgorithm.allCases)
    func libldnsValidatesWhatIsSignedHere(_ algorithm: DNSSECAlgorithm) throws {
        let key = SigningKey.generate(algorithm)
        let dnskey = DNSKEYRecord(key: key)
        let zone = "cloud66.net"
        let now = UInt32(Date().timeIntervalSince1970)
        let ok = String(cString: ldns_get_errorstr_by_id(LDNS_STATUS_OK))
        for rrset in Self.rrsets {
            let rrsig = try RRSIGRecord.sign(
                owner: try DomainName(rrset.owner), type: rrset.type, ttl: 30, rdatas: rrset.rdatas, key: key,
                keyTag: dnskey.keyTag, signer: try DomainName(zone), inception: now - 3600, expiration: now + 86_400)
            #expect(Self.ldnsVerdict(rrset, ttl: 30, rrsig: rrsig, dnskey: dnskey, zone: zone) == ok,
                    "\(algorithm) \(rrset.owner) \(rrset.type)")
            // A countdown TTL below the original still validates: the validator restores the original.
            #expect(Self.ldnsVerdict(rrset, ttl: 7, rrsig: rrsig, dnskey: dnskey, zone: zone) == ok)
            var changed = rrset
            changed.rdatas[0][changed.rdatas[0].count - 1] ^= 1
            #expect(Self.ldnsVerdict(changed, ttl: 30, rrsig: rrsig, dnskey: dnskey, zone: zone) != ok,
                    "a changed record passed: \(algorithm) \(rrset.owner) \(rrset.type)")
        }
    }
}
