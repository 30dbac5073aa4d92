import DNSWire

/// A record reduced to what the differential test compares: owner lowercased
/// (RFC 4343), type, class, TTL and RDATA bytes.
struct ComparableRecord: Hashable, Comparable, CustomStringConvertible {
    var owner: String
    var type: UInt16
    var recordClass: UInt16
    var ttl: UInt32
    var rdata: [UInt8]
    var text: String

    init(_ record: ResourceRecord) {
        owner = record.name.lowercased.description
        type = record.type.rawValue
        recordClass = record.recordClass.rawValue
        ttl = record.ttl
        rdata = record.rdata
        text = record.description
    }

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.owner == rhs.owner && lhs.type == rhs.type && lhs.recordClass == rhs.recordClass && lhs.ttl == rhs.ttl
            && lhs.rdata == rhs.rdata
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(owner)
        hasher.combine(type)
        hasher.combine(rdata)
    }

    static func < (lhs: Self, rhs: Self) -> Bool { lhs.text < rhs.text }
    var description: String { text }
}

extension Message {
    var flagText: String {
        var flags: [String] = []
        if header.isResponse { flags.append("qr") }
        if header.isAuthoritative { flags.append("aa") }
        if header.isTruncated { flags.append("tc") }
        if header.recursionDesired { flags.append("rd") }
        if header.recursionAvailable { flags.append("ra") }
        if header.authenticData { flags.append("ad") }
        if header.checkingDisabled { flags.append("cd") }
        return flags.joined(separator: " ")
    }

    /// A dig-like rendering for failure messages.
    var summary: String {
        var lines = ["  \(responseCode) flags: \(flagText) id \(header.id)"
                     + (edns.map { "; OPT udp \($0.udpPayloadSize) version \($0.version) do \($0.dnssecOK ? 1 : 0) options \($0.options.map(\.code))" } ?? "; no OPT")]
        lines += questions.map { "  question: \($0.name) \($0.type)" }
        for (title, records) in [("answer", answers), ("authority", authorities), ("additional", additionals)]
        where !records.isEmpty {
            lines.append("  \(title):")
            lines += records.map { "    \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}

/// Differences between a reference reply (NSD) and ours, section by section.
/// The caller applies the documented rules to the reference first.
func differences(reference: Message, ours: Message) -> [String] {
    var found: [String] = []
    if reference.responseCode != ours.responseCode {
        found.append("rcode: reference \(reference.responseCode), ours \(ours.responseCode)")
    }
    if reference.flagText != ours.flagText {
        found.append("flags: reference [\(reference.flagText)], ours [\(ours.flagText)]")
    }
    if reference.header.opcode != ours.header.opcode {
        found.append("opcode: reference \(reference.header.opcode.rawValue), ours \(ours.header.opcode.rawValue)")
    }
    for (title, left, right) in [("answer", reference.answers, ours.answers),
                                 ("authority", reference.authorities, ours.authorities),
                                 ("additional", reference.additionals, ours.additionals)]
    {
        let a = Set(left.map(ComparableRecord.init))
        let b = Set(right.map(ComparableRecord.init))
        if a != b {
            let missing = a.subtracting(b).sorted().map { "      - \($0)" }
            let extra = b.subtracting(a).sorted().map { "      + \($0)" }
            found.append("\(title) differs (- only in reference, + only in ours):\n" + (missing + extra).joined(separator: "\n"))
        }
        if left.count != right.count, a == b {
            found.append("\(title): same records but \(left.count) vs \(right.count) entries (duplicates)")
        }
    }
    switch (reference.edns, ours.edns) {
    case (nil, nil): break
    case (.some, nil): found.append("OPT: reference has one, ours has none")
    case (nil, .some): found.append("OPT: ours has one, reference has none")
    case let (.some(r), .some(o)):
        if r.dnssecOK != o.dnssecOK { found.append("OPT DO: reference \(r.dnssecOK), ours \(o.dnssecOK)") }
        if r.version != o.version { found.append("OPT version: reference \(r.version), ours \(o.version)") }
        if r.udpPayloadSize != o.udpPayloadSize {
            found.append("OPT UDP size: reference \(r.udpPayloadSize), ours \(o.udpPayloadSize)")
        }
    }
    return found
}
