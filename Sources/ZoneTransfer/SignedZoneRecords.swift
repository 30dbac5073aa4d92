import DNSSEC
import DNSWire
import ZoneData

/// The zone as signed records (RFC 4035 2): what ``ZoneRecords`` renders,
/// plus the DNSKEY at the apex, an NSEC record at every name of the denial
/// chain, and an RRSIG over every authoritative RRset (not over a zone cut's
/// NS records or the glue below it). A pure function of its inputs, like
/// ``ZoneRecords``.
public enum SignedZoneRecords {
    /// Every record except the apex SOA itself (a transfer frames the zone
    /// with it), its RRSIG included. `chain` must hold the snapshot's groups.
    public static func all(_ snapshot: ZoneSnapshot, chain: DenialChain, signer: ZoneSigner, pendingTTL: UInt32)
        throws(DNSSECError) -> [ResourceRecord]
    {
        let zone = snapshot.zone
        let nsecTTL = zone.negativeTTL
        var records: [ResourceRecord] = []
        var chained = Set<DomainName>()
        let members = chain.members
        for (index, member) in members.enumerated() {
            let owner = chain.name(of: member)
            chained.insert(owner)
            var rrsets = rrsets(at: member, owner: owner, snapshot: snapshot, pendingTTL: pendingTTL)
            if member == .zoneName(0) {
                rrsets.append((type: .dnskey, ttl: zone.soa.ttl, rdatas: [signer.dnskey.rdata]))
            }
            let isCut = rrsets.contains { $0.type == .ns } && member != .zoneName(0)
            let next = chain.name(of: members[(index + 1) % members.count])
            let types = Set(rrsets.map(\.type)).union([.rrsig, .nsec])
            rrsets.append((type: .nsec, ttl: nsecTTL, rdatas: [NSECRecord(nextName: next, types: types).rdata]))
            for rrset in rrsets {
                if !(rrset.type == .soa && member == .zoneName(0)) {
                    records += rrset.rdatas.map { ResourceRecord(name: owner, type: rrset.type, ttl: rrset.ttl, rdata: $0) }
                }
                // At a zone cut only the DS and the NSEC are the zone's own data (RFC 4035 2.2).
                if isCut && rrset.type != .ds && rrset.type != .nsec { continue }
                let signature = try signer.sign(owner: owner, type: rrset.type, ttl: rrset.ttl,
                                                rdatas: rrset.rdatas)
                records.append(ResourceRecord(name: owner, type: .rrsig, ttl: rrset.ttl, rdata: signature.rdata))
            }
        }
        // Names with no NSEC of their own: glue below a cut (unsigned); empty non-terminals hold nothing.
        for node in zone.nodes where !chained.contains(node.name.lowercased) {
            for rrset in node.rrsets {
                records += rrset.rdatas.map { ResourceRecord(name: node.name, type: rrset.type, ttl: rrset.ttl, rdata: $0) }
            }
        }
        return records
    }

    typealias SignedRRset = (type: RecordType, ttl: UInt32, rdatas: [[UInt8]])

    /// The RRsets at one name of the chain, the SOA with the snapshot's serial.
    static func rrsets(at member: DenialChain.Member, owner: DomainName, snapshot: ZoneSnapshot, pendingTTL: UInt32)
        -> [SignedRRset]
    {
        switch member {
        case .zoneName:
            guard let node = snapshot.zone.find(owner) else { return [] }
            return snapshot.zone.nodes[node].rrsets.map { rrset in
                let rdatas = rrset.type == .soa ? [ZoneRecords.soa(snapshot).rdata] : rrset.rdatas
                return (type: rrset.type, ttl: rrset.ttl, rdatas: rdatas)
            }
        case .group(let address):
            // The signatures' original TTL is the TTL transferred, lowered while a switch is pending:
            // verifiers (dnssec-verify) hold a zone's RRSIGs to the TTL of the records they cover.
            var byType: [SignedRRset] = []
            for record in ZoneRecords.group(address, snapshot: snapshot, pendingTTL: pendingTTL) {
                if let index = byType.firstIndex(where: { $0.type == record.type }) {
                    byType[index].rdatas.append(record.rdata)
                } else {
                    byType.append((type: record.type, ttl: record.ttl, rdatas: [record.rdata]))
                }
            }
            return byType
        }
    }
}
