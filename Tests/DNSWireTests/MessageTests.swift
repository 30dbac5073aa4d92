import DNSWire
import Testing

@Suite struct MessageTests {
    /// `dig example.com A +noedns` as sent on the wire, with ID 0x1234 and RD.
    static let goldenQuery: [UInt8] = [
        0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
        7, 101, 120, 97, 109, 112, 108, 101, 3, 99, 111, 109, 0, 0, 1, 0, 1,
    ]

    @Test func serializesAQueryToGoldenBytes() throws {
        let query = Message.query(try DomainName("example.com"), .a, id: 0x1234, recursionDesired: true)
        #expect(query.serialize() == Self.goldenQuery)
    }

    /// serialize sizes its buffer from the message (names uncompressed) instead of 64 KiB: a message of every
    /// section, with names to compress and EDNS options, writes whole and reads back as itself.
    @Test func bufferSizedFromTheMessageHoldsEverySection() throws {
        let name = try DomainName("a-long-label-to-compress.example.com")
        var message = Message.query(name, .mx, id: 7, edns: EDNSRecord())
        message.edns?.options = [(code: 10, data: Array(repeating: 0xAB, count: 8)), (code: 12, data: [])]
        message.answers = (0..<40).map { index in
            ResourceRecord(name: name, type: .mx, ttl: 60,
                           rdata: [0, UInt8(index)] + (try! DomainName("mx\(index).example.com")).wire)
        }
        message.authorities = [ResourceRecord(name: try DomainName("example.com"), type: .ns, ttl: 60,
                                              rdata: try DomainName("ns.example.com").wire)]
        message.additionals = [ResourceRecord(name: try DomainName("ns.example.com"), type: .a, ttl: 60,
                                              rdata: [192, 0, 2, 1])]
        let bytes = message.serialize()
        let parsed = try Message(bytes: bytes)
        #expect(parsed.answers.count == 40 && parsed.authorities.count == 1 && parsed.additionals.count == 1)
        #expect(parsed.answers.map(\.rdata) == message.answers.map(\.rdata))
        #expect(parsed.edns?.options.map(\.data) == message.edns?.options.map(\.data))
        #expect(Message(header: DNSHeader(id: 1)).serialize().count == DNSHeader.size)
    }

    @Test func compressesRepeatedNames() throws {
        var message = Message(header: DNSHeader(id: 1))
        let name = try DomainName("example.com")
        message.questions = [Question(name: name, type: .mx)]
        let exchange = try DomainName("mail.example.com").wire
        message.answers = [ResourceRecord(name: name, type: .mx, ttl: 60, rdata: [0, 10] + exchange)]
        let bytes = message.serialize()
        // Owner is a pointer to the question name (0xC00C) and the exchange
        // is "mail" plus a pointer to it.
        let answer = Array(bytes[29...])
        #expect(Array(answer[0..<2]) == [0xC0, 0x0C])
        #expect(Array(answer[10..<12]) == [0, 9])  // RDLENGTH: 2 + 1 + 4 + 2
        #expect(Array(answer[12...]) == [0, 10, 4, 109, 97, 105, 108, 0xC0, 0x0C])
        let parsed = try Message(bytes: bytes)
        #expect(parsed.answers == message.answers)
    }

    @Test func srvTargetsAreNotCompressed() throws {
        var message = Message(header: DNSHeader(id: 1))
        let name = try DomainName("_sip._tcp.example.com")
        message.questions = [Question(name: name, type: .srv)]
        let target = try DomainName("example.com").wire
        message.answers = [ResourceRecord(name: name, type: .srv, ttl: 60, rdata: [0, 1, 0, 2, 0x13, 0xC4] + target)]
        let bytes = message.serialize()
        #expect(bytes.suffix(target.count) == target[...])
    }

    @Test func parsesEDNSAndRejectsCountsBeyondTheData() throws {
        let query = Message.query(try DomainName("a.example"), .aaaa, id: 9,
                                  edns: EDNSRecord(udpPayloadSize: 4096, dnssecOK: true, options: [(10, [1, 2, 3, 4, 5, 6, 7, 8])]))
        let parsed = try Message(bytes: query.serialize())
        #expect(parsed.edns?.udpPayloadSize == 4096)
        #expect(parsed.edns?.dnssecOK == true)
        #expect(parsed.edns?.options.first?.code == 10)
        var lying = Self.goldenQuery
        lying[7] = 200  // ANCOUNT 200 with no data behind it
        #expect(throws: Message.ParseError.self) { try Message(bytes: lying) }
        #expect(throws: Message.ParseError.self) { try Message(bytes: Array(Self.goldenQuery.prefix(20))) }
    }

    @Test func writerStopsAtTheLimitAndRollsBack() {
        var buffer = [UInt8](repeating: 0, count: 64)
        buffer.withUnsafeMutableBytes { raw in
            var writer = WireWriter(buffer: raw, limit: 10, compression: CompressionTable())
            let first = writer.writeUInt32(1)
            let mark = writer.mark()
            let second = writer.writeUInt32(2)
            let third = writer.writeUInt32(3)
            #expect(first && second && !third)
            writer.rollback(to: mark)
            #expect(writer.offset == 4)
        }
    }

    @Test func compressionTableIsBounded() throws {
        let table = CompressionTable(capacity: 4)
        var buffer = [UInt8](repeating: 0, count: 512)
        buffer.withUnsafeMutableBytes { raw in
            var writer = WireWriter(buffer: raw, limit: 512, compression: table)
            for index in 0..<10 {
                _ = writer.writeName(try! DomainName("n\(index).a.b.c"))
            }
        }
        #expect(table.count == 4)
    }
}
