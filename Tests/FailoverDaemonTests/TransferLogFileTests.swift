import DNSWire
import FailoverCore
import Testing
import ZoneTransfer

@testable import FailoverDaemon

@Suite struct TransferLogFileTests {
    static let deltas: [TransferLog.Delta] = {
        let name = try! DomainName("414-262-781.cloud66.net")
        let a = ResourceRecord(name: name, type: .a, ttl: 30, rdata: [192, 0, 2, 1])
        let cname = ResourceRecord(name: name, type: .cname, ttl: 30, rdata: try! DomainName("lb.example.net").wire)
        return [
            TransferLog.Delta(from: 7, to: 8, removed: [], added: [a]),
            TransferLog.Delta(from: 8, to: 9, removed: [a], added: [cname]),
        ]
    }()

    @Test func roundTrip() {
        #expect(TransferLogFile.decode(TransferLogFile.encode(Self.deltas)) == Self.deltas)
        #expect(TransferLogFile.decode(TransferLogFile.encode([])) == [])
    }

    @Test func everyFlippedByteAndEveryTruncationIsRefused() {
        let bytes = TransferLogFile.encode(Self.deltas)
        for index in bytes.indices {
            var damaged = bytes
            damaged[index] ^= 0x01
            #expect(TransferLogFile.decode(damaged) == nil, "flip at \(index)")
        }
        for length in 0..<bytes.count {
            #expect(TransferLogFile.decode(Array(bytes[0..<length])) == nil, "cut at \(length)")
        }
    }

    @Test func countsPastTheEndAreRefusedEvenWithAValidChecksum() {
        var bytes = TransferLogFile.encode(Self.deltas)
        bytes.removeLast(4)
        // The first delta's removed count (after magic, delta count, from, to) claims a billion records.
        let at = TransferLogFile.magic.count + 12
        bytes.replaceSubrange(at..<(at + 4), with: [0x40, 0, 0, 0])
        let checksum = FailoverCore.CRC32C.checksum(bytes)
        bytes += [UInt8(checksum >> 24), UInt8(checksum >> 16 & 0xFF), UInt8(checksum >> 8 & 0xFF), UInt8(checksum & 0xFF)]
        #expect(TransferLogFile.decode(bytes) == nil)
    }
}
