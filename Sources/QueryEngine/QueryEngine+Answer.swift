import DNSWire
import ZoneData

/// Where a name lookup in the static zone ended (Knot's HIT/MISS/DELEG states).
enum LookupResult {
    /// The name exists (possibly an empty non-terminal).
    case found(node: Int)
    /// Synthesized from the wildcard node at the closest encloser.
    case wildcard(node: Int)
    /// At or below a zone cut.
    case delegation(node: Int)
    /// No such name.
    case nameError
}

/// How the owner of answer records is written.
enum OwnerName {
    /// The query name: a pointer to offset 12 keeps its case (RFC 4343).
    case question
    /// A name being chased, in `QueryScratch.chaseOriginal`.
    case chased(length: Int)
    /// A node's own name.
    case node(Int)
}

/// Counters for one response being written.
struct SectionCounts {
    var answer = 0
    var authority = 0
    var additional = 0
    var rcode: ResponseCode = .noError
    var authoritative = true
    var truncated = false
}

extension QueryEngine {
    func answer(
        _ request: ParsedQuery, originAt: Int, query: UnsafeRawBufferPointer,
        into response: UnsafeMutableRawBufferPointer, transport: Transport, snapshot: ZoneSnapshot,
        scratch: QueryScratch
    ) -> QueryOutcome {
        scratch.compression.reset()
        scratch.visitedCount = 0
        scratch.gluedCount = 0
        guard var writer = writerAfterQuestion(request, query: query, into: response, transport: transport,
                                               scratch: scratch)
        else { return .dropped }
        writer.registerName(at: DNSHeader.size)
        var counts = SectionCounts()
        let queryType = RecordType(request.queryType)

        resolve(request, queryType: queryType, originAt: originAt, snapshot: snapshot, scratch: scratch,
                writer: &writer, counts: &counts)

        var offset = writer.offset
        if request.hasEDNS {
            offset = writeOPT(into: response, at: offset, extendedRcode: 0, dnssecOK: request.dnssecOK, scratch: scratch)
        }
        var header = responseHeader(request.header)
        header.rcode = UInt8(counts.rcode.rawValue & 0xF)
        header.isAuthoritative = counts.authoritative
        header.isTruncated = counts.truncated
        header.questionCount = 1
        header.answerCount = UInt16(counts.answer)
        header.authorityCount = UInt16(counts.authority)
        header.additionalCount = UInt16(counts.additional + (request.hasEDNS ? 1 : 0))
        header.write(to: response)
        return QueryOutcome(disposition: .answered, length: offset, rcode: counts.rcode, queryType: queryType,
                            truncated: counts.truncated, questionEnd: request.questionEnd)
    }

    /// Looks the query name up, follows CNAMEs inside the zone, and writes the
    /// sections.
    func resolve(
        _ request: ParsedQuery, queryType: RecordType, originAt: Int, snapshot: ZoneSnapshot,
        scratch: QueryScratch, writer: inout WireWriter, counts: inout SectionCounts
    ) {
        let zone = snapshot.zone
        var name = UnsafeMutableRawBufferPointer(rebasing: scratch.lowercasedName[0..<request.nameLength])
        var labelsBelowOrigin = labelIndex(ofOffset: originAt, labelCount: request.labelCount, scratch: scratch)
        var owner = OwnerName.question

        for hop in 0...options.maxCNAMEChain {
            let result = lookup(name, labelsBelowOrigin: labelsBelowOrigin, queryType: queryType, zone: zone,
                                scratch: scratch)
            let node: Int
            switch result {
            case .delegation(let cut):
                // Directly asked: a referral. Reached through a CNAME: the
                // answer stays authoritative and the referral follows it
                // (RFC 1034 4.3.2 step 3b).
                writeReferral(cut: cut, zone: zone, scratch: scratch, writer: &writer, counts: &counts)
                if hop > 0 { counts.authoritative = true }
                return
            case .nameError:
                counts.rcode = .nxDomain
                writeNegative(snapshot: snapshot, scratch: scratch, writer: &writer, counts: &counts)
                return
            case .found(let found), .wildcard(let found):
                node = found
            }
            guard scratch.visit(node) else { return }  // CNAME loop
            let rrsets = zone.nodes[node].rrsets
            if queryType == .any, !rrsets.isEmpty {
                // RFC 8482: one RRset is a complete answer to ANY.
                guard writeRRset(rrsets[0], owner: owner, zone: zone, scratch: scratch, writer: &writer,
                                 serial: rrsets[0].type == .soa ? snapshot.serial : nil)
                else {
                    counts.truncated = true
                    return
                }
                counts.answer += rrsets[0].rdatas.count
                writeAdditional(for: rrsets[0], zone: zone, scratch: scratch, writer: &writer, counts: &counts)
                return
            }
            if let index = zone.nodes[node].rrsetIndex(of: queryType) {
                guard writeRRset(rrsets[index], owner: owner, zone: zone, scratch: scratch, writer: &writer,
                                 serial: queryType == .soa ? snapshot.serial : nil)
                else {
                    counts.truncated = true
                    return
                }
                counts.answer += rrsets[index].rdatas.count
                writeAdditional(for: rrsets[index], zone: zone, scratch: scratch, writer: &writer, counts: &counts)
                return
            }
            guard let cnameIndex = zone.nodes[node].rrsetIndex(of: .cname) else {
                writeNegative(snapshot: snapshot, scratch: scratch, writer: &writer, counts: &counts)
                return
            }
            let cname = rrsets[cnameIndex]
            guard writeRRset(cname, owner: owner, zone: zone, scratch: scratch, writer: &writer) else {
                counts.truncated = true
                return
            }
            counts.answer += 1
            // Follow the target when it is inside the zone.
            let targetLength = cname.rdatas[0].withUnsafeBytes { target -> Int in
                for index in 0..<target.count {
                    scratch.chaseOriginal[index] = target[index]
                    scratch.lowercasedName[index] = asciiLowercase(target[index])
                }
                return target.count
            }
            name = UnsafeMutableRawBufferPointer(rebasing: scratch.lowercasedName[0..<targetLength])
            let labelCount = fillLabelOffsets(UnsafeRawBufferPointer(name), scratch: scratch)
            guard let targetOrigin = originStart(of: UnsafeRawBufferPointer(name), labelCount: labelCount,
                                                 snapshot: snapshot, scratch: scratch)
            else { return }
            labelsBelowOrigin = labelIndex(ofOffset: targetOrigin, labelCount: labelCount, scratch: scratch)
            owner = .chased(length: targetLength)
        }
    }

    /// Top-down walk from the apex: the first missing ancestor means the name
    /// does not exist (every ancestor of a name is a node), the first cut
    /// means a referral.
    func lookup(
        _ name: UnsafeMutableRawBufferPointer, labelsBelowOrigin: Int, queryType: RecordType, zone: StaticZone,
        scratch: QueryScratch
    ) -> LookupResult {
        if labelsBelowOrigin == 0 { return .found(node: zone.apexIndex) }
        var closestEncloserOffset = name.count - zone.origin.wire.count
        var label = labelsBelowOrigin - 1
        while label >= 0 {
            let start = scratch.labelOffsets[label]
            guard let node = zone.find(UnsafeRawBufferPointer(rebasing: name[start...])) else { break }
            if zone.nodes[node].isDelegation, !(label == 0 && queryType == .ds) {
                return .delegation(node: node)
            }
            if label == 0 { return .found(node: node) }
            closestEncloserOffset = start
            label -= 1
        }
        // RFC 4592: the source of synthesis is "*" at the closest encloser.
        let wildcard = scratch.wildcardName
        wildcard[0] = 1
        wildcard[1] = UInt8(ascii: "*")
        let suffixLength = name.count - closestEncloserOffset
        for index in 0..<suffixLength { wildcard[2 + index] = name[closestEncloserOffset + index] }
        if let node = zone.find(UnsafeRawBufferPointer(rebasing: wildcard[0..<(2 + suffixLength)])) {
            return .wildcard(node: node)
        }
        return .nameError
    }

    /// Writes every record of an RRset, or nothing when it does not fit.
    func writeRRset(
        _ rrset: RRset, owner: OwnerName, zone: StaticZone, scratch: QueryScratch, writer: inout WireWriter,
        ttl: UInt32? = nil, serial: UInt32? = nil
    ) -> Bool {
        let mark = writer.mark()
        // Index loops, not `for x in array`: an unspecialized iterator (debug builds) allocates per query.
        for rdataIndex in 0..<rrset.rdatas.count {
            let rdata = rrset.rdatas[rdataIndex]
            let ownerWritten: Bool
            switch owner {
            case .question:
                ownerWritten = writer.writeUInt16(0xC000 | UInt16(DNSHeader.size))
            case .chased(let length):
                ownerWritten = writer.writeName(UnsafeRawBufferPointer(rebasing: scratch.chaseOriginal[0..<length]))
            case .node(let node):
                ownerWritten = zone.nodes[node].name.wire.withUnsafeBytes { writer.writeName($0) }
            }
            guard ownerWritten, writer.writeUInt16(rrset.type.rawValue),
                writer.writeUInt16(RecordClass.internet.rawValue), writer.writeUInt32(ttl ?? rrset.ttl),
                rdata.withUnsafeBytes({ writer.writeRData($0, type: rrset.type) })
            else {
                writer.rollback(to: mark)
                return false
            }
            if let serial {
                writer.buffer.storeBigEndianUInt32(serial, at: writer.offset - SOAFields.serialFromEnd)
            }
        }
        return true
    }

    /// NXDOMAIN or NODATA: the SOA in authority with the negative TTL.
    func writeNegative(
        snapshot: ZoneSnapshot, scratch: QueryScratch, writer: inout WireWriter, counts: inout SectionCounts
    ) {
        let zone = snapshot.zone
        if writeRRset(zone.soa, owner: .node(zone.apexIndex), zone: zone, scratch: scratch,
                      writer: &writer, ttl: zone.negativeTTL, serial: snapshot.serial)
        {
            counts.authority += 1
        } else {
            counts.truncated = true
        }
    }

    /// A referral: not authoritative, the cut's NS in authority, glue in
    /// additional.
    func writeReferral(
        cut: Int, zone: StaticZone, scratch: QueryScratch, writer: inout WireWriter, counts: inout SectionCounts
    ) {
        counts.authoritative = false
        guard let nsIndex = zone.nodes[cut].rrsetIndex(of: .ns) else { return }
        let ns = zone.nodes[cut].rrsets[nsIndex]
        guard writeRRset(ns, owner: .node(cut), zone: zone, scratch: scratch, writer: &writer) else {
            counts.truncated = true
            return
        }
        counts.authority += ns.rdatas.count
        writeAdditional(for: ns, zone: zone, scratch: scratch, writer: &writer, counts: &counts)
    }

    /// Addresses of in-zone targets of NS, MX and SRV records; dropped
    /// silently when they do not fit (RFC 2181 9).
    func writeAdditional(
        for rrset: RRset, zone: StaticZone, scratch: QueryScratch, writer: inout WireWriter,
        counts: inout SectionCounts
    ) {
        let targetOffset: Int
        switch rrset.type {
        case .ns: targetOffset = 0
        case .mx: targetOffset = 2
        case .srv: targetOffset = 6
        default: return
        }
        for rdataIndex in 0..<rrset.rdatas.count {
            let node: Int? = rrset.rdatas[rdataIndex].withUnsafeBytes { raw in
                let target = UnsafeRawBufferPointer(rebasing: raw[targetOffset...])
                var length = 0
                while length < target.count {
                    scratch.wildcardName[length] = asciiLowercase(target[length])
                    length += 1
                }
                return zone.find(UnsafeRawBufferPointer(rebasing: scratch.wildcardName[0..<length]))
            }
            guard let node, scratch.glue(node) else { continue }
            for typeIndex in 0..<2 {
                let type: RecordType = typeIndex == 0 ? .a : .aaaa
                guard let index = zone.nodes[node].rrsetIndex(of: type) else { continue }
                let addresses = zone.nodes[node].rrsets[index]
                guard writeRRset(addresses, owner: .node(node), zone: zone, scratch: scratch, writer: &writer) else {
                    return
                }
                counts.additional += addresses.rdatas.count
            }
        }
    }

    /// Records label start offsets of a lowercased wire name in scratch.
    func fillLabelOffsets(_ name: UnsafeRawBufferPointer, scratch: QueryScratch) -> Int {
        var offset = 0
        var count = 0
        while offset < name.count, name[offset] != 0, count < QueryScratch.labelCapacity {
            scratch.labelOffsets[count] = offset
            count += 1
            offset += 1 + Int(name[offset])
        }
        return count
    }

    /// Index of the label starting at `offset` (the number of labels above it).
    @inline(__always)
    func labelIndex(ofOffset offset: Int, labelCount: Int, scratch: QueryScratch) -> Int {
        for label in 0..<labelCount where scratch.labelOffsets[label] == offset { return label }
        return labelCount
    }

    /// Where the origin starts inside a lowercased name, or nil if outside.
    func originStart(of name: UnsafeRawBufferPointer, labelCount: Int, snapshot: ZoneSnapshot, scratch: QueryScratch)
        -> Int?
    {
        let originLength = snapshot.originWire.count
        let start = name.count - originLength
        guard start >= 0 else { return nil }
        guard start == 0 || labelIndex(ofOffset: start, labelCount: labelCount, scratch: scratch) < labelCount else {
            return nil
        }
        return snapshot.originWire.withUnsafeBytes { origin in
            for index in 0..<originLength where origin[index] != name[start + index] { return nil }
            return start
        }
    }
}
