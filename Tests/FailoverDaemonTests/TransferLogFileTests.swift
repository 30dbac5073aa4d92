import DNSWire
import FailoverCore
import Foundation
import Glibc
import Logging
import Synchronization
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

    /// The history file is made durable: its bytes fsynced before the rename, the directory after it; a failed
    /// fsync leaves the earlier file as it was.
    @Test func saveSyncsTheFileThenTheDirectory() throws {
        var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("ixfr-XXXXXX").utf8CString)
        let directory = String(cString: try #require(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/" + TransferLogFile.name

        let synced = Mutex<[String]>([])
        let failing = Atomic<Bool>(false)
        let io = FileIO(
            write: { fd, bytes in Glibc.write(fd, bytes.baseAddress, bytes.count) },
            fsync: { fd in
                if failing.load(ordering: .relaxed) {
                    errno = EIO
                    return -1
                }
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")) ?? "?"
                synced.withLock { $0.append(target) }
                return Glibc.fsync(fd)
            })
        let log = TransferLog()
        for delta in Self.deltas { log.append(from: delta.from, to: delta.to, removed: delta.removed, added: delta.added) }
        TransferLogFile.save(log, directory: directory, logger: Logger(label: "test"), io: io)
        let resolved = (try? FileManager.default.destinationOfSymbolicLink(atPath: directory)) ?? directory
        let real = URL(fileURLWithPath: resolved).resolvingSymlinksInPath().path
        #expect(synced.withLock { $0 } == [real + "/ixfr.tmp", real], "fsyncs: \(synced.withLock { $0 })")
        let saved = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(TransferLogFile.decode(saved) == Self.deltas)

        failing.store(true, ordering: .relaxed)
        log.append(from: 9, to: 10, removed: [], added: [])
        TransferLogFile.save(log, directory: directory, logger: Logger(label: "test"), io: io)
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: path))) == saved, "a failed save replaced the file")
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
    }
}
