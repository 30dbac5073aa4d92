import DNSWire
import Testing

@Suite struct HeaderTests {
    @Test func flagAccessorsReadAndWriteTheRightBits() {
        var header = DNSHeader(id: 0xBEEF)
        header.isResponse = true
        header.opcode = .notify
        header.isAuthoritative = true
        header.isTruncated = true
        header.recursionDesired = true
        header.checkingDisabled = true
        header.rcode = 3
        #expect(header.flags == 0b1_0100_1_1_1_0_0_0_1_0011)
        header.isTruncated = false
        header.checkingDisabled = false
        #expect(header.flags == 0b1_0100_1_0_1_0_0_0_0_0011)
        #expect(header.opcode == .notify)
        #expect(header.rcode == 3)
    }

    @Test func goldenBytesRoundTrip() {
        let bytes: [UInt8] = [0x12, 0x34, 0x85, 0x80, 0, 1, 0, 2, 0, 3, 0, 4]
        let header = bytes.withUnsafeBytes { DNSHeader(bytes: $0) }!
        #expect(header.id == 0x1234)
        #expect(header.isResponse && header.isAuthoritative && header.recursionDesired && header.recursionAvailable)
        #expect(header.questionCount == 1 && header.answerCount == 2)
        #expect(header.authorityCount == 3 && header.additionalCount == 4)
        var out = [UInt8](repeating: 0, count: 12)
        out.withUnsafeMutableBytes { header.write(to: $0) }
        #expect(out == bytes)
    }

    @Test func shortHeaderIsNil() {
        let bytes: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
        #expect(bytes.withUnsafeBytes { DNSHeader(bytes: $0) } == nil)
    }

    @Test("Truncating to the question sets TC, empties the record counts, keeps id, flags and question")
    func truncateToQuestion() {
        // id 0x1234, QR AA RD, NOERROR; 1 question, 2 answers, 1 authority, 3 additional; "a." A IN; then records.
        var message: [UInt8] = [0x12, 0x34, 0x85, 0x00, 0, 1, 0, 2, 0, 1, 0, 3, 1, 0x61, 0, 0, 1, 0, 1, 9, 9, 9]
        let length = message.withUnsafeMutableBytes { DNSHeader.truncateToQuestion($0, questionEnd: 19) }
        #expect(length == 19)
        #expect(Array(message[0..<12]) == [0x12, 0x34, 0x87, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])
        #expect(Array(message[12..<19]) == [1, 0x61, 0, 0, 1, 0, 1])
        #expect(message.withUnsafeMutableBytes { DNSHeader.truncateToQuestion($0, questionEnd: 40) } == 0)
        #expect(message.withUnsafeMutableBytes { DNSHeader.truncateToQuestion($0, questionEnd: 5) } == 0)
    }
}
