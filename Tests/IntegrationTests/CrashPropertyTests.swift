import FailoverControl
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// Crash safety as a property: clients pipeline numbered changes, the daemon is killed with SIGKILL at a
    /// random moment, and after each restart every client's changes are applied exactly up to some point at or
    /// after its last acknowledged one (nothing acknowledged lost, no gap, nothing never sent). Two runs in
    /// three also damage the journal as a power loss could: its last batch, past the last acknowledged record,
    /// truncated or zeroed in part (later records of the batch kept), which start-up must cut off.
    ///
    /// FAILOVERD_CRASH_RUNS sets the number of kills (default 60: about 25 s on the 2-core development VM).
    @Suite struct CrashPropertyTests {
        static let seed: UInt64 = 0x5EED_C4A5_4001
        static let clients = 3
        /// Apps per client, reused in turn: change `n` puts app `slot n % slots` named after `n`, so the state
        /// stays small while every name says which change made it.
        static let slots = 64
        /// Requests a client keeps in flight (the daemon's pipeline depth is 64).
        static let window = 32

        static var runs: Int {
            ProcessInfo.processInfo.environment["FAILOVERD_CRASH_RUNS"].flatMap(Int.init) ?? 60
        }

        @Test("SIGKILL during pipelined changes, with the last batch torn or zeroed, loses nothing acknowledged")
        func killsKeepAcknowledgedPrefix() throws {
            // Compaction every 300 records, so kills also land around compactions.
            let daemon = try DaemonProcess(zone: TestZone.text, extraConfig: "compact-after: 300", label: "crash-prop")
            defer { daemon.stop() }
            var random = SeededRandom(seed: Self.seed)
            var next = [Int](repeating: 0, count: Self.clients)
            var problems: [String] = []
            var damages = (truncated: 0, zeroed: 0, zeroedWithLaterRecords: 0)
            var totals = (acknowledged: 0, unacknowledgedApplied: 0)
            let started = Date()
            var kills = 0
            for run in 1...Self.runs {
                let streams = (0..<Self.clients).map { ClientStream(client: $0, first: next[$0]) }
                let group = DispatchGroup()
                for stream in streams { try stream.start(socket: daemon.controlSocket, group: group) }
                usleep(UInt32.random(in: 20_000...400_000, using: &random))
                daemon.kill9()
                kills += 1
                for stream in streams { stream.stop() }
                group.wait()

                let acknowledged = streams.map(\.acknowledged)
                if run % 3 != 0 {
                    switch JournalDamage.apply(to: daemon.stateDirectory + "/journal", acknowledged: acknowledged,
                                               random: &random) {
                    case .none: break
                    case .truncated: damages.truncated += 1
                    case .zeroed(let laterRecords):
                        damages.zeroed += 1
                        if laterRecords { damages.zeroedWithLaterRecords += 1 }
                    }
                }
                do {
                    try daemon.restart()
                } catch {
                    problems.append("run \(run): restart failed: \(error)\n\(daemon.log())")
                    break
                }
                let apps = FaultSupport.apps(try FaultSupport.export(daemon.controlSocket))
                for stream in streams {
                    problems += stream.problems.map { "run \(run): \($0)" }
                    switch Self.appliedPrefix(client: stream.client, apps: apps) {
                    case .failure(let problem):
                        problems.append("run \(run): client \(stream.client): \(problem)")
                    case .success(let applied):
                        if applied < stream.acknowledged {
                            problems.append("run \(run): client \(stream.client): changes \(applied)..<\(stream.acknowledged) were acknowledged but are lost")
                        }
                        if applied > stream.sent {
                            problems.append("run \(run): client \(stream.client): change \(applied - 1) applied but never sent (sent \(stream.sent))")
                        }
                        totals.acknowledged += stream.acknowledged - stream.first
                        totals.unacknowledgedApplied += max(0, applied - stream.acknowledged)
                        next[stream.client] = applied
                    }
                }
                if problems.count > 20 { break }
            }
            let summary = """
                CrashPropertyTests: \(kills) of \(Self.runs) SIGKILLs in \(String(format: "%.1f", Date().timeIntervalSince(started))) s, \
                \(totals.acknowledged) changes acknowledged, \(totals.unacknowledgedApplied) unacknowledged found applied, \
                journal damaged \(damages.truncated) times by truncation and \(damages.zeroed) by zeroing \
                (\(damages.zeroedWithLaterRecords) with later records of the batch intact), seed \(Self.seed)
                """
            print(summary)
            #expect(problems.isEmpty, Comment(rawValue: summary + "\n" + problems.prefix(20).joined(separator: "\n")))
            #expect(totals.acknowledged > Self.runs, Comment(rawValue: summary))
        }

        /// How many of `client`'s changes the state shows, checked to be exactly a prefix: the newest change `n`
        /// found gives the prefix `0..<n + 1`, and every slot must then hold its latest change in it.
        static func appliedPrefix(client: Int, apps: [String: JSONValue]) -> Result<Int, ProblemText> {
            var shown: [Int: Int] = [:]
            for slot in 0..<slots {
                guard let app = apps[ClientStream.appID(client: client, slot: slot)] else { continue }
                guard let name = app["name"]?.stringValue, let n = ClientStream.change(inName: name, client: client)
                else { return .failure(ProblemText("slot \(slot) has an unexpected app: \(app)")) }
                shown[slot] = n
            }
            let applied = (shown.values.max() ?? -1) + 1
            for slot in 0..<slots {
                // The latest change below `applied` for this slot, if any.
                let last = applied - 1 - ((applied - 1 - slot) % slots + slots) % slots
                let expected = last >= 0 && last < applied ? last : nil
                if shown[slot] != expected {
                    return .failure(ProblemText("""
                        slot \(slot) shows change \(shown[slot].map(String.init) ?? "none") but the newest applied \
                        change \(applied - 1) implies \(expected.map(String.init) ?? "none"): a gap
                        """))
                }
            }
            return .success(applied)
        }
    }
}

struct ProblemText: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One client's pipelined changes during one run: a sender keeping `window` requests in flight and a reader
/// counting the acknowledgements, which come in request order.
final class ClientStream: @unchecked Sendable {
    let client: Int
    let first: Int
    private let condition = NSCondition()
    private var _sent: Int
    private var _acknowledged: Int
    private var stopped = false
    private var _problems: [String] = []
    private var connection: RawControl?

    init(client: Int, first: Int) {
        self.client = client
        self.first = first
        _sent = first
        _acknowledged = first
    }

    var sent: Int { condition.withLock { _sent } }
    var acknowledged: Int { condition.withLock { _acknowledged } }
    var problems: [String] { condition.withLock { _problems } }

    static func appID(client: Int, slot: Int) -> String { String(format: "c%ds%03d", client, slot) }

    /// Fixed width, so one name is never a prefix of another in the journal's bytes.
    static func name(client: Int, change: Int) -> String { String(format: "c%dn%09d", client, change) }

    static func change(inName name: String, client: Int) -> Int? {
        let prefix = "c\(client)n"
        guard name.hasPrefix(prefix) else { return nil }
        return Int(name.dropFirst(prefix.count))
    }

    func start(socket: String, group: DispatchGroup) throws {
        let connection = try RawControl(path: socket)
        self.connection = connection
        // The sender writes to the descriptor only; the reader alone uses the connection's buffer.
        let fd = connection.fd
        group.enter()
        Thread.detachNewThread { [self] in
            send(fd)
            group.leave()
        }
        group.enter()
        Thread.detachNewThread { [self] in
            read()
            group.leave()
        }
    }

    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
    }

    private func send(_ fd: Int32) {
        while true {
            let change: Int? = condition.withLock {
                while !stopped && _sent - _acknowledged >= Integration.CrashPropertyTests.window { condition.wait() }
                return stopped ? nil : _sent
            }
            guard let change else { return }
            let slot = change % Integration.CrashPropertyTests.slots
            let line = #"{"id":\#(change),"op":"app.put","args":{"app":"\#(Self.appID(client: client, slot: slot))","name":"\#(Self.name(client: client, change: change))","web_head":{"hostname":"lb.example.net"}}}"#
            condition.withLock { _sent += 1 }
            // Counted as sent before the bytes go out: a partly sent request may still be applied.
            let bytes = Array((line + "\n").utf8)
            var offset = 0
            while offset < bytes.count {
                let count = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                if count < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += count
            }
        }
    }

    private func read() {
        guard let connection else { return }
        while true {
            guard let reply = try? connection.readJSON(timeout: 10) else {
                stop()
                return
            }
            condition.withLock {
                let expected = _acknowledged
                if reply["id"] != .integer(Int64(expected)) || reply["ok"] != .bool(true) {
                    _problems.append("client \(client): change \(expected) answered \(reply)")
                    stopped = true
                } else {
                    _acknowledged += 1
                }
                condition.broadcast()
            }
        }
    }
}

/// Damage a power loss could leave in the journal: only in its last batch (records written in one write),
/// and only past the last record holding an acknowledged change.
enum JournalDamage {
    enum Kind { case none, truncated, zeroed(laterRecords: Bool) }

    struct Record {
        var range: Range<Int>
        var batchFirst: UInt64?
        /// The client and change number the record holds, if it is one of ours.
        var change: (client: Int, n: Int)?
    }

    static func apply(to path: String, acknowledged: [Int], random: inout SeededRandom) -> Kind {
        guard var bytes = FileManager.default.contents(atPath: path).map(Array.init) else { return .none }
        let records = parse(bytes)
        guard let last = records.last, let batch = last.batchFirst else { return .none }
        let batchStart = records.first { $0.batchFirst == batch }!.range.lowerBound
        let acknowledgedEnd = records.last { record in
            guard let change = record.change else { return false }
            return change.n < acknowledged[change.client]
        }?.range.upperBound ?? 0
        let from = max(batchStart, acknowledgedEnd)
        guard from < bytes.count else { return .none }
        if Int.random(in: 0..<3, using: &random) == 0 {
            let cut = Int.random(in: from..<bytes.count, using: &random)
            guard truncate(path, off_t(cut)) == 0 else { return .none }
            return .truncated
        }
        let start = Int.random(in: from..<bytes.count, using: &random)
        // Mostly short ranges, as a lost page or two would be, so later records of the batch often survive.
        let end = Int.random(in: (start + 1)...min(bytes.count, start + 256), using: &random)
        bytes.replaceSubrange(start..<end, with: [UInt8](repeating: 0, count: end - start))
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return .none }
        return .zeroed(laterRecords: records.contains { $0.range.lowerBound >= end })
    }

    /// The records of an intact journal: `[length][CRC-32C][payload]`, a batch payload starting with 0x03, the
    /// u64 sequence number and the u32 position in the batch.
    static func parse(_ bytes: [UInt8]) -> [Record] {
        func u32(_ at: Int) -> UInt32 { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) } }
        func u64(_ at: Int) -> UInt64 { bytes[at..<(at + 8)].reduce(0) { $0 << 8 | UInt64($1) } }
        var records: [Record] = []
        var offset = 0
        while offset + 8 <= bytes.count {
            let length = Int(u32(offset))
            let payload = (offset + 8)..<(offset + 8 + length)
            guard length > 0, payload.upperBound <= bytes.count else { break }
            var record = Record(range: offset..<payload.upperBound)
            if bytes[payload.lowerBound] == 0x03, length >= 17 {
                record.batchFirst = u64(payload.lowerBound + 1) - UInt64(u32(payload.lowerBound + 9))
            }
            let text = String(decoding: bytes[payload], as: UTF8.self)
            for client in 0..<Integration.CrashPropertyTests.clients {
                guard let found = text.range(of: "c\(client)n") else { continue }
                let digits = text[found.upperBound...].prefix(9)
                if let n = Int(digits), digits.count == 9 { record.change = (client, n) }
            }
            records.append(record)
            offset = payload.upperBound
        }
        return records
    }
}
