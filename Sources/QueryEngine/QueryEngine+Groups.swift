import DNSWire
import ZoneData

extension QueryEngine {
    /// Answers for a failover group from its pre-rendered web-head records:
    /// CNAME for a hostname (whatever the type), A/AAAA for addresses, NODATA
    /// when the active app has no web head or no record of the type.
    func answerGroup(
        _ request: ParsedQuery, group: (answer: Int32, due: Int64), query: UnsafeRawBufferPointer,
        into response: UnsafeMutableRawBufferPointer, transport: Transport, snapshot: ZoneSnapshot,
        scratch: QueryScratch, now: Int64
    ) -> QueryOutcome {
        guard var writer = writerAfterQuestion(request, query: query, into: response, transport: transport,
                                               scratch: scratch)
        else { return .dropped }
        var counts = SectionCounts()
        let queryType = RecordType(request.queryType)
        let ttl = Self.groupTTL(configured: snapshot.groups.ttl, due: group.due, now: now)

        // The answer's RDATA: one CNAME target, or addresses of one size back to back.
        var rdata: UnsafeRawBufferPointer? = nil
        var recordCount = 0
        var recordType = RecordType.cname
        if let answer = snapshot.groups.answers.view(group.answer) {
            if answer.cname.count > 0 {
                rdata = answer.cname
                recordCount = 1
            } else if queryType == .a || (queryType == .any && answer.addressCount > 0) {
                if answer.addressCount > 0 { rdata = answer.addressRecords; recordCount = answer.addressCount }
                recordType = .a
            } else if queryType == .aaaa || queryType == .any {
                if answer.address6Count > 0 { rdata = answer.address6Records; recordCount = answer.address6Count }
                recordType = .aaaa
            }
        }
        if let bytes = rdata {
            // Each record: owner pointer to the question name, type, class IN, TTL, RDLENGTH, RDATA; all of them or none.
            let mark = writer.mark()
            let size = bytes.count / recordCount
            var written = writer.offset + recordCount * (WebHeadAnswer.recordOverhead + size) <= writer.limit
            var index = 0
            while written && index < recordCount {
                written = writer.writeUInt16(0xC000 | UInt16(DNSHeader.size)) && writer.writeUInt16(recordType.rawValue)
                    && writer.writeUInt16(1) && writer.writeUInt32(ttl) && writer.writeUInt16(UInt16(size))
                    && writer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[(index * size)..<(index * size + size)]))
                index += 1
            }
            if written {
                counts.answer = recordCount
            } else {
                writer.rollback(to: mark)
                counts.truncated = true
            }
        } else {
            scratch.compression.reset()
            writer.registerName(at: DNSHeader.size)
            writeNegative(snapshot: snapshot, scratch: scratch, writer: &writer, counts: &counts)
        }

        var offset = writer.offset
        if request.hasEDNS {
            offset = writeOPT(into: response, at: offset, extendedRcode: 0, dnssecOK: request.dnssecOK, scratch: scratch)
        }
        var header = responseHeader(request.header)
        header.isAuthoritative = true
        header.isTruncated = counts.truncated
        header.questionCount = 1
        header.answerCount = UInt16(counts.answer)
        header.authorityCount = UInt16(counts.authority)
        header.additionalCount = request.hasEDNS ? 1 : 0
        header.write(to: response)
        return QueryOutcome(disposition: .answered, length: offset, rcode: .noError, queryType: queryType,
                            truncated: counts.truncated, questionEnd: request.questionEnd)
    }

    /// TTL of a group answer: the configured TTL, or while a switch is
    /// pending, the whole seconds left until it is due less one, so 0 in the
    /// last two seconds and once due. A cache counting whole seconds may keep
    /// a record through the second its TTL runs out (Unbound does), up to
    /// 1 s past the TTL; one second less lets every cache drop the old answer
    /// by the due time.
    @inline(__always)
    public static func groupTTL(configured: UInt32, due: Int64, now: Int64) -> UInt32 {
        guard due > 0 else { return configured }
        let remaining = due - now
        guard remaining >= 2000 else { return 0 }
        return UInt32(min(Int64(configured), remaining / 1000 - 1))
    }
}
