import DNSWire
import Testing

@Suite struct WireReaderTests {
    func readName(_ bytes: [UInt8], at offset: Int) -> (String, Int)? {
        bytes.withUnsafeBytes { raw in
            var reader = WireReader(raw, offset: offset)
            guard let name = reader.readName() else { return nil }
            return (name.description, reader.offset)
        }
    }

    @Test func followsBackwardPointers() {
        // "example.com" at 0, then "www" + pointer to 0.
        let bytes: [UInt8] = [7, 101, 120, 97, 109, 112, 108, 101, 3, 99, 111, 109, 0, 3, 119, 119, 119, 0xC0, 0]
        let result = readName(bytes, at: 13)
        #expect(result?.0 == "www.example.com.")
        #expect(result?.1 == 19)
    }

    @Test func rejectsForwardAndSelfPointersAndLoops() {
        #expect(readName([0xC0, 0], at: 0) == nil)  // points to itself
        #expect(readName([0xC0, 2, 0], at: 0) == nil)  // forward
        #expect(readName([1, 97, 0xC0, 0], at: 0) == nil)  // loop back to its own start
        #expect(readName([0, 1, 97, 0xC0, 1], at: 1) == nil)  // points into its own labels
    }

    @Test func rejectsTruncatedAndReservedLabels() {
        #expect(readName([3, 97, 98], at: 0) == nil)
        #expect(readName([0x40, 0], at: 0) == nil)
        #expect(readName([0x80, 0], at: 0) == nil)
        #expect(readName([0xC0], at: 0) == nil)
        #expect(readName([], at: 0) == nil)
    }

    @Test func rejectsNamesOver255OctetsEvenThroughPointers() {
        // 4 labels of 63 octets = 256 octets with the root: too long.
        var bytes: [UInt8] = []
        for _ in 0..<4 { bytes += [63] + Array(repeating: 120, count: 63) }
        bytes.append(0)
        #expect(readName(bytes, at: 0) == nil)
        // 3 labels of 63 plus one of 61 = 255: fine.
        var ok: [UInt8] = []
        for _ in 0..<3 { ok += [63] + Array(repeating: 120, count: 63) }
        ok += [61] + Array(repeating: 120, count: 61) + [0]
        #expect(readName(ok, at: 0) != nil)
    }

    @Test func integerReadsStopAtTheEnd() {
        [UInt8]([1, 2, 3]).withUnsafeBytes { raw in
            var reader = WireReader(raw)
            let first = reader.readUInt16()
            let second = reader.readUInt16()
            let third = reader.readUInt8()
            let fourth = reader.readUInt8()
            let fifth = reader.readUInt32()
            let sixth = reader.readSlice(1)
            #expect(first == 0x0102 && second == nil && third == 3 && fourth == nil && fifth == nil && sixth == nil)
        }
    }
}
