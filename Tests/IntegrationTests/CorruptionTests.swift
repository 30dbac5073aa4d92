import FailoverControl
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// Damage to the journal file between runs: damage in the middle stops the start-up, naming the file and
    /// byte offset; a torn last record (an unfinished write) is dropped with a warning.
    @Suite struct CorruptionTests {
        static let records = 12

        /// A journal record's place in the file: `[length][CRC-32C][payload]`.
        struct Record {
            var offset: Int
            var length: Int
            var end: Int { offset + 8 + length }
        }

        static func records(_ bytes: [UInt8]) -> [Record] {
            var result: [Record] = []
            var offset = 0
            while offset + 8 <= bytes.count {
                let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8
                    | Int(bytes[offset + 3])
                guard offset + 8 + length <= bytes.count else { break }
                result.append(Record(offset: offset, length: length))
                offset += 8 + length
            }
            return result
        }

        /// Writes `records` acknowledged app.puts (`app-0`...) and stops the daemon with SIGKILL.
        static func prepare(_ daemon: DaemonProcess) throws -> [UInt8] {
            let client = try ControlClient(socketPath: daemon.controlSocket, timeout: 10)
            for index in 0..<records {
                _ = try client.call(op: .appPut, args: [
                    "app": .string("app-\(index)"), "name": .string("App \(index)"),
                    "web_head": ["hostname": .string("lb\(index).example.net")],
                ])
            }
            client.close()
            daemon.kill9()
            return Array(try Data(contentsOf: URL(fileURLWithPath: daemon.stateDirectory + "/journal")))
        }

        static func write(_ bytes: [UInt8], to path: String) throws {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }

        /// The daemon's stderr written since `offset`.
        static func log(_ daemon: DaemonProcess, since offset: Int) -> String {
            let data = FileManager.default.contents(atPath: daemon.stderrPath) ?? Data()
            return String(decoding: data.dropFirst(offset), as: UTF8.self)
        }

        static func logSize(_ daemon: DaemonProcess) -> Int {
            FileManager.default.contents(atPath: daemon.stderrPath)?.count ?? 0
        }

        @Test("A damaged record in the middle of the journal: failoverd refuses to start, naming file and offset")
        func damageInTheMiddleRefusesToStart() throws {
            let daemon = try DaemonProcess(zone: TestZone.text, label: "corrupt")
            defer { daemon.stop() }
            let original = try Self.prepare(daemon)
            let journal = daemon.stateDirectory + "/journal"
            let records = Self.records(original)
            try #require(records.count == Self.records && records.last?.end == original.count,
                         "expected \(Self.records) whole records in \(journal), found \(records.count) in \(original.count) bytes")

            let damages: [(String, Int, (inout [UInt8]) -> Void)] = [
                ("payload bytes of record 2 flipped", records[2].offset, { bytes in
                    bytes[records[2].offset + 8 + 12] ^= 0xFF
                    bytes[records[2].offset + 8 + 13] ^= 0x5A
                }),
                ("checksum of record 1 flipped", records[1].offset, { bytes in bytes[records[1].offset + 5] ^= 0x01 }),
                ("length of record 3 made impossible", records[3].offset, { bytes in bytes[records[3].offset] = 0x7F }),
                ("record 4 overwritten with zeros", records[4].offset, { bytes in
                    for index in records[4].offset..<records[4].end { bytes[index] = 0 }
                }),
            ]
            for (what, offset, damage) in damages {
                var bytes = original
                damage(&bytes)
                try Self.write(bytes, to: journal)
                let logStart = Self.logSize(daemon)
                var startError = ""
                do {
                    try daemon.restart()
                    Issue.record("failoverd started on a journal with \(what) at byte offset \(offset)\n\(daemon.log())")
                    daemon.kill9()
                    continue
                } catch {
                    startError = "\(error)"
                }
                #expect(!daemon.isRunning)
                let status = startError.range(of: "exited with status ").map {
                    Int32(startError[$0.upperBound...].prefix { $0.isNumber || $0 == "-" }) ?? 0
                } ?? 0
                #expect(status != 0, "\(what): failoverd must exit non-zero; the harness saw: \(startError)")
                let log = Self.log(daemon, since: logStart)
                #expect(log.contains(journal), "\(what): the message names the journal file \(journal):\n\(log)")
                #expect(log.contains("byte offset \(offset)"), "\(what): the message names byte offset \(offset):\n\(log)")
                // The file is left as it was for the operator to inspect.
                let after = Array(try Data(contentsOf: URL(fileURLWithPath: journal)))
                #expect(after == bytes, "\(what): failoverd changed the damaged journal while refusing to start")
            }

            // Restored, it starts with everything.
            try Self.write(original, to: journal)
            try daemon.restart()
            let apps = FaultSupport.apps(try FaultSupport.export(daemon.controlSocket))
            #expect(apps.count == Self.records, "\(apps.keys.sorted())")
        }

        @Test("A torn last record is dropped with a warning; every record before it is loaded")
        func tornTailIsDropped() throws {
            let daemon = try DaemonProcess(zone: TestZone.text, label: "torn")
            defer { daemon.stop() }
            let original = try Self.prepare(daemon)
            let journal = daemon.stateDirectory + "/journal"
            let records = Self.records(original)
            try #require(records.count == Self.records && records.last?.end == original.count,
                         "expected \(Self.records) whole records in \(journal), found \(records.count) in \(original.count) bytes")
            let last = records[records.count - 1]

            let tears: [(String, [UInt8])] = [
                ("half of the last record's payload", Array(original.prefix(last.offset + 8 + last.length / 2))),
                ("the last record's final byte missing", Array(original.prefix(last.end - 1))),
                ("5 bytes of the last record's header", Array(original.prefix(last.offset + 5))),
                ("the last record's payload garbled", {
                    var bytes = original
                    bytes[last.offset + 8 + last.length / 2] ^= 0xFF
                    return bytes
                }()),
            ]
            for (what, bytes) in tears {
                try Self.write(bytes, to: journal)
                let logStart = Self.logSize(daemon)
                do {
                    try daemon.restart()
                } catch {
                    Issue.record("failoverd did not start after a torn write (\(what)): \(error)")
                    continue
                }
                let log = Self.log(daemon, since: logStart)
                #expect(log.contains("warning") && log.contains("torn tail") && log.contains(journal),
                        "\(what): a warning names the journal and the dropped tail:\n\(log)")
                #expect(log.contains("byte offset \(last.offset)"), "\(what): the warning gives byte offset \(last.offset):\n\(log)")

                let apps = FaultSupport.apps(try FaultSupport.export(daemon.controlSocket))
                for index in 0..<(Self.records - 1) {
                    let app = apps["app-\(index)"]
                    #expect(app?["web_head"]?["hostname"]?.stringValue == "lb\(index).example.net",
                            "\(what): record \(index + 1) (before the torn one) must be loaded; app-\(index) is \(String(describing: app))")
                }
                #expect(apps["app-\(Self.records - 1)"] == nil, "\(what): the torn record must not be applied")
                #expect(apps.count == Self.records - 1, "\(what): \(apps.keys.sorted())")

                // The journal goes on cleanly from where the tear was cut off.
                let client = try ControlClient(socketPath: daemon.controlSocket, timeout: 10)
                _ = try client.call(op: .appPut, args: ["app": "after-tear", "name": "After", "web_head": nil])
                client.close()
                daemon.kill9()
                let size = (try? FileManager.default.attributesOfItem(atPath: journal)[.size] as? Int) ?? -1
                let cut = Self.records(Array(try Data(contentsOf: URL(fileURLWithPath: journal))))
                #expect(cut.count == Self.records && cut.last?.end == size && cut[Self.records - 2].end == last.offset,
                        "\(what): the journal is cut at \(last.offset) and the next record follows (size \(size), records \(cut.map(\.offset)))")
                try daemon.restart()
                let again = FaultSupport.apps(try FaultSupport.export(daemon.controlSocket))
                #expect(again["after-tear"] != nil && again.count == Self.records, "\(what): \(again.keys.sorted())")
                daemon.kill9()
            }
        }
    }
}
