import DNSWire
import FailoverCore
import Foundation
import Logging
import ZoneTransfer

/// The IXFR history kept across a clean restart, so secondaries go on with
/// incremental transfers instead of one full transfer each (55 MB at a
/// million groups). Written as `ixfr` in the state directory when the daemon
/// stops; read back, and removed, when it starts. It is a cache: a missing,
/// damaged or stale file (one that does not end at the served serial, e.g.
/// after a crash) is ignored and secondaries fall back to AXFR.
///
/// Layout: the magic, a delta count, then per delta `from`, `to`, the counts
/// of removed and added records and the records (uncompressed name, type,
/// class, TTL, RDATA length, RDATA); last, the CRC-32C of all before it.
enum TransferLogFile {
    static let name = "ixfr"
    static let magic = Array("failoverd-ixfr-1\n".utf8)

    static func encode(_ deltas: [TransferLog.Delta]) -> [UInt8] {
        var bytes = magic
        func put32(_ value: UInt32) { withUnsafeBytes(of: value.bigEndian) { bytes += $0 } }
        func put16(_ value: UInt16) { withUnsafeBytes(of: value.bigEndian) { bytes += $0 } }
        put32(UInt32(deltas.count))
        for delta in deltas {
            put32(delta.from)
            put32(delta.to)
            put32(UInt32(delta.removed.count))
            put32(UInt32(delta.added.count))
            for record in delta.removed + delta.added {
                bytes += record.name.wire
                put16(record.type.rawValue)
                put16(record.recordClass.rawValue)
                put32(record.ttl)
                put16(UInt16(record.rdata.count))
                bytes += record.rdata
            }
        }
        put32(CRC32C.checksum(bytes))
        return bytes
    }

    /// The deltas in `bytes`; nil when anything is off (magic, checksum, a count past the end).
    static func decode(_ bytes: [UInt8]) -> [TransferLog.Delta]? {
        guard bytes.count >= magic.count + 8, bytes.starts(with: magic) else { return nil }
        let body = bytes[0..<(bytes.count - 4)]
        let stored = bytes[(bytes.count - 4)...].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard CRC32C.checksum(body) == stored else { return nil }
        return body.withUnsafeBytes { raw -> [TransferLog.Delta]? in
            var reader = WireReader(raw, offset: magic.count)
            guard let count = reader.readUInt32() else { return nil }
            var deltas: [TransferLog.Delta] = []
            for _ in 0..<count {
                guard let from = reader.readUInt32(), let to = reader.readUInt32(),
                    let removedCount = reader.readUInt32(), let addedCount = reader.readUInt32()
                else { return nil }
                var records: [ResourceRecord] = []
                // Counts come from the file: each record takes at least 11 bytes, so a count the rest cannot hold is damage.
                let total = Int(removedCount) + Int(addedCount)
                guard total <= reader.remaining / 11 else { return nil }
                for _ in 0..<total {
                    guard let name = reader.readName(), let type = reader.readUInt16(), let recordClass = reader.readUInt16(),
                        let ttl = reader.readUInt32(), let length = reader.readUInt16(),
                        let rdata = reader.readSlice(Int(length))
                    else { return nil }
                    records.append(ResourceRecord(name: name, type: RecordType(rawValue: type),
                                                  recordClass: RecordClass(rawValue: recordClass), ttl: ttl,
                                                  rdata: Array(rdata)))
                }
                deltas.append(TransferLog.Delta(from: from, to: to, removed: Array(records[..<Int(removedCount)]),
                                                added: Array(records[Int(removedCount)...])))
            }
            return reader.remaining == 0 ? deltas : nil
        }
    }

    /// Writes `log` beside the state durably (written aside, fsynced, renamed, the directory fsynced); an empty
    /// log removes the file. A failure leaves any earlier file as it was.
    static func save(_ log: TransferLog, directory: String, logger: Logger, io: FileIO = .system) {
        let path = directory + "/" + name
        let deltas = log.all
        guard !deltas.isEmpty else {
            try? FileManager.default.removeItem(atPath: path)
            return
        }
        do {
            try DurableFile.replace(path, with: encode(deltas), io: io)
            logger.info("IXFR history saved: \(deltas.count) changes up to serial \(deltas.last!.to)")
        } catch {
            logger.warning("cannot save the IXFR history to \(path): \(error); secondaries will need a full transfer")
        }
    }

    /// Loads the saved history into `log` when it ends at `servedSerial`, and removes the file.
    static func restore(into log: TransferLog, directory: String, servedSerial: UInt32, logger: Logger) {
        let path = directory + "/" + name
        guard let data = FileManager.default.contents(atPath: path) else { return }
        try? FileManager.default.removeItem(atPath: path)
        guard let deltas = decode(Array(data)) else {
            logger.warning("\(path) is damaged; ignored (secondaries get a full transfer)")
            return
        }
        guard let last = deltas.last, last.to == servedSerial else {
            logger.info("IXFR history in \(path) ends at serial \(deltas.last?.to ?? 0), not the served \(servedSerial); ignored")
            return
        }
        log.restore(deltas)
        logger.info("IXFR history restored: \(deltas.count) changes from serial \(deltas[0].from)")
    }
}
