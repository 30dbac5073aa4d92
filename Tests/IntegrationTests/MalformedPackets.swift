import TestSupport
import DNSWire

/// Hostile and broken DNS packets, built from a seeded generator.
struct MalformedPackets {
    var random: SeededRandom

    init(seed: UInt64) { random = SeededRandom(seed: seed) }

    static let origin = "example.test"

    /// A valid query for a random name and type, sometimes with EDNS.
    mutating func validQuery() -> [UInt8] {
        let names = ["example.test", "www.example.test", "big.example.test", "nothere.example.test",
                     "foo.wild.example.test", "sub.example.test", "alias2.example.test", "example.org"]
        let types: [RecordType] = [.a, .aaaa, .any, .txt, .mx, .soa, .ns, RecordType(65000)]
        let edns: EDNSRecord? = random.chance(0.5)
            ? EDNSRecord(udpPayloadSize: [512, 1232, 4096, 65535].randomElement(using: &random)!,
                         dnssecOK: random.chance(0.3))
            : nil
        return Message.query(try! DomainName(names.randomElement(using: &random)!),
                             types.randomElement(using: &random)!,
                             id: UInt16.random(in: 0...UInt16.max, using: &random), edns: edns).serialize()
    }

    mutating func header(id: UInt16? = nil, flags: UInt16 = 0, qd: UInt16 = 1, an: UInt16 = 0, ns: UInt16 = 0,
                         ar: UInt16 = 0) -> [UInt8]
    {
        let id = id ?? UInt16.random(in: 0...UInt16.max, using: &random)
        return [id, flags, qd, an, ns, ar].flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    static let questionTail: [UInt8] = [0, 1, 0, 1]
    static let originWire: [UInt8] = try! DomainName(origin).wire

    /// Fewer than 12 bytes: must be dropped.
    mutating func shortPacket() -> [UInt8] {
        let query = validQuery()
        return Array(query.prefix(Int.random(in: 0...11, using: &random)))
    }

    /// A query with QR set: must be dropped.
    mutating func responseBitSet() -> [UInt8] {
        var packet = random.chance(0.7) ? validQuery() : random.bytes(Int.random(in: 12...200, using: &random))
        packet[2] |= 0x80
        return packet
    }

    /// The header promises a question the bytes do not hold completely.
    mutating func truncatedQuestion() -> [UInt8] {
        let query = validQuery()
        let questionEnd = 12 + (query.count > 12 ? nameLength(query, at: 12) + 4 : 0)
        return Array(query.prefix(Int.random(in: 12..<max(13, questionEnd), using: &random)))
    }

    private func nameLength(_ bytes: [UInt8], at start: Int) -> Int {
        var position = start
        while position < bytes.count, bytes[position] != 0 { position += 1 + Int(bytes[position]) }
        return position + 1 - start
    }

    /// Compression pointers in the question: to itself, a two-step loop,
    /// forward, past the end, into the header.
    mutating func pointerTrick() -> [UInt8] {
        var packet = header()
        switch Int.random(in: 0..<6, using: &random) {
        case 0: packet += [0xC0, 0x0C] + Self.questionTail                     // points at itself
        case 1: packet += [3, 0x77, 0x77, 0x77, 0xC0, 0x0C] + Self.questionTail  // label then back to start: loop
        case 2: packet += [0xC0, 0x0E, 0xC0, 0x0C] + Self.questionTail          // forward then back: loop
        case 3: packet += [0xC0, 0xFF] + Self.questionTail                       // past the end
        case 4: packet += [0xC0, 0x02] + Self.questionTail                       // into the header
        default: packet += [0x80 | UInt8.random(in: 0...0x3F, using: &random), 0x10] + Self.questionTail  // reserved label type
        }
        return packet
    }

    /// A pointer loop or forward pointer inside an additional record's owner.
    mutating func pointerInAdditional() -> [UInt8] {
        var packet = header(ar: 1)
        packet += Self.originWire + Self.questionTail
        let here = UInt16(packet.count)
        let options: [[UInt8]] = [
            [0xC0 | UInt8(here >> 8), UInt8(here & 0xFF)],          // itself
            [0xC0, UInt8(truncatingIfNeeded: here + 10)],            // forward
            [0xFF, 0xFF],                                            // far past the end
        ]
        packet += options.randomElement(using: &random)! + [0, 41, 4, 0xD0, 0, 0, 0, 0, 0, 0]
        return packet
    }

    /// Counts far beyond the records present.
    mutating func hugeCounts() -> [UInt8] {
        var query = validQuery()
        let field = [4, 6, 8, 10].randomElement(using: &random)!
        query[field] = 0xFF
        query[field + 1] = 0xFF
        return query
    }

    /// Labels over 63 octets and names over 255 octets.
    mutating func oversizeName() -> [UInt8] {
        var packet = header()
        if random.chance(0.5) {
            packet += [64] + [UInt8](repeating: 0x61, count: 64) + Self.originWire
        } else {
            for _ in 0..<5 { packet += [63] + [UInt8](repeating: 0x62, count: 63) }
            packet += Self.originWire
        }
        return packet + Self.questionTail
    }

    /// Two or more OPT records, or one with broken option lengths.
    mutating func badOPT() -> [UInt8] {
        var packet = header(ar: 1)
        packet += Self.originWire + Self.questionTail
        let opt: [UInt8] = [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0]
        switch Int.random(in: 0..<5, using: &random) {
        case 0:
            let copies = Int.random(in: 2...4, using: &random)
            packet[11] = UInt8(copies)
            for _ in 0..<copies { packet += opt + [0, 0] }
        case 1:  // option length past the RDATA
            packet += opt + [0, 8, 0, 10, 0, 200, 1, 2, 3, 4]
        case 2:  // RDLENGTH past the packet
            packet += opt + [0x10, 0x00, 0, 10, 0, 4]
        case 3:  // half an option header
            packet += opt + [0, 3, 0, 10, 0]
        default:  // OPT with a non-root owner
            packet += [3, 0x61, 0x62, 0x63, 0] + opt.dropFirst() + [0, 0]
        }
        return packet
    }

    mutating func randomBytes() -> [UInt8] {
        random.bytes(Int.random(in: 12...700, using: &random))
    }

    /// Bit flips, truncation, insertion, deletion and duplication of a valid query.
    mutating func mutated() -> [UInt8] {
        var packet = validQuery()
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            guard !packet.isEmpty else { break }
            let at = Int.random(in: 0..<packet.count, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0: packet[at] ^= 1 << UInt8.random(in: 0...7, using: &random)
            case 1: packet = Array(packet.prefix(at))
            case 2: packet.insert(UInt8.random(in: 0...255, using: &random), at: at)
            case 3: packet.remove(at: at)
            default: packet += packet.suffix(from: at)
            }
        }
        return packet
    }

    /// Odd but well-formed headers: opcodes, classes, meta types, counts.
    mutating func oddHeader() -> [UInt8] {
        var packet = header(flags: UInt16(Int.random(in: 0...15, using: &random)) << 11 | UInt16.random(in: 0...0x7FF, using: &random),
                            qd: UInt16.random(in: 0...3, using: &random))
        packet += Self.originWire
        packet += [0, [1, 252, 251, 255, 41, 250, 0].randomElement(using: &random)!,
                   0, [1, 3, 254, 255, 0].randomElement(using: &random)!]
        return packet
    }

    /// One packet of a random kind.
    mutating func any() -> [UInt8] {
        switch Int.random(in: 0..<13, using: &random) {
        case 0: shortPacket()
        case 1: responseBitSet()
        case 2: truncatedQuestion()
        case 3: pointerTrick()
        case 4: pointerInAdditional()
        case 5: hugeCounts()
        case 6: oversizeName()
        case 7: badOPT()
        case 8: randomBytes()
        case 9, 10: mutated()
        case 11: oddHeader()
        default: validQuery()
        }
    }
}
