import DNSWire
import FailoverControl
import Foundation
import Testing

extension Integration {
    /// Switches seen through a caching resolver (Unbound and BIND, both with
    /// whole-second clocks) in front of the real daemon: the TTL countdown
    /// must let every cache show the backup within 1 s of the due time.
    @Suite(.serialized) struct CachedSwitchTests {
        /// The issue's bound on (first backup answer seen - due time).
        static let maxLateness: Int64 = 1000
        static let primaryAddress: [UInt8] = [192, 0, 2, 10]
        static let backupAddress: [UInt8] = [192, 0, 2, 20]

        @Test("ttl 10, 20 groups switching 10 s ahead at due times spread over a second: each seen within 1 s of due",
              arguments: CachingResolverProcess.Kind.allCases)
        func staggeredTrials(resolver: CachingResolverProcess.Kind) throws {
            // 50 ms apart: the 20 due times cover every phase of a whole second.
            let delays = (0..<20).map { 10 + Double($0) * 0.05 }
            try runTrialsWithRetry(resolver, extraConfig: "ttl: 10", delays: delays, label: "ttl 10, delay 10-10.95 s")
        }

        @Test("defaults (ttl 30, switch-delay 30): seen within 1 s of due",
              arguments: CachingResolverProcess.Kind.allCases)
        func defaultTrial(resolver: CachingResolverProcess.Kind) throws {
            try runTrialsWithRetry(resolver, extraConfig: "", delays: [nil], label: "defaults")
        }

        /// On a heavily loaded machine the resolver (or the daemon's debug
        /// build) now and then stalls, and every pending name shows up late at
        /// the same instant, whatever its due time (seen with a load of 12 on
        /// 2 cores: BIND once 1.7 s, Unbound once 0.4 s), which says nothing
        /// about the TTLs. So a run that misses the bound runs once more, and
        /// only the second counts. A TTL countdown that lets caches keep the
        /// old answer misses the bound for about half the names, every run,
        /// and still fails.
        func runTrialsWithRetry(_ kind: CachingResolverProcess.Kind, extraConfig: String, delays: [Double?],
                                label: String) throws {
            let problems = try runTrials(kind, extraConfig: extraConfig, delays: delays, label: label)
            guard !problems.isEmpty else { return }
            print("[cached-switch] \(label) through \(kind): \(problems.count) problems, running once more:\n"
                + problems.prefix(3).joined(separator: "\n"))
            let again = try runTrials(kind, extraConfig: extraConfig, delays: delays, label: label + " (second run)")
            again.forEach { Issue.record(Comment(rawValue: $0)) }
        }

        /// Starts the daemon and the resolver, schedules one switch per delay (nil:
        /// the configured `switch-delay`), polls each group through the
        /// resolver until its backup appears, and returns what broke the
        /// bounds (empty when every name passed).
        func runTrials(_ kind: CachingResolverProcess.Kind, extraConfig: String, delays: [Double?],
                       label: String) throws -> [String] {
            let daemon = try DaemonProcess(zone: ControlZone.text, extraConfig: extraConfig, label: "cached-switch")
            defer { daemon.stop() }
            let resolver = try CachingResolverProcess(kind, upstream: daemon.ipv4, zone: ControlZone.origin)
            defer { resolver.stop() }
            let client = try daemon.control()
            _ = try client.call(op: .appPut, args: ["app": "web", "name": "Web", "web_head": ["addresses": ["192.0.2.10"]]])
            _ = try client.call(op: .appPut, args: ["app": "dr", "name": "DR", "web_head": ["addresses": ["192.0.2.20"]]])

            var names: [String] = []
            for _ in delays {
                let created = try client.call(op: .groupCreate, args: ["primary": "web", "backup": "dr"])
                names.append(try #require(created["address"]?.stringValue) + "." + ControlZone.origin)
            }
            var dues: [Int64] = []
            for (index, delay) in delays.enumerated() {
                var args: [String: JSONValue] = ["address": .string(String(names[index].prefix(11))), "to": "backup"]
                if let delay { args["delay_seconds"] = .number(delay) }
                let switched = try client.call(op: .groupSwitch, args: args)
                let due = try #require(switched["group"]?["pending"]?["due"]?.stringValue.flatMap(RFC3339.milliseconds(from:)))
                dues.append(due)
            }

            let (seen, cachedOld) = try pollUntilBackup(names: names, dues: dues, through: resolver.endpoint)
            var lateness: [Int64] = []
            var problems: [String] = []
            for index in names.indices {
                if cachedOld[index] == 0 {
                    problems.append("\(names[index]): no old answer with a TTL above 0, nothing was cached")
                }
                guard let first = seen[index] else {
                    problems.append("\(names[index]): no backup answer within 5 s of due\n\(resolver.log())\n\(daemon.log())")
                    continue
                }
                let late = first - dues[index]
                lateness.append(late)
                if late < 0 { problems.append("\(names[index]): backup seen \(-late) ms before due") }
                if late > Self.maxLateness { problems.append("\(names[index]): backup seen \(late) ms after due") }
            }
            let sorted = lateness.sorted()
            let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
            print("[cached-switch] \(label): \(sorted.count) trials through \(kind), backup first seen after due: "
                + "max \(sorted.last ?? 0) ms, median \(median) ms, all \(sorted) ms")
            return problems
        }

        /// Asks the resolver for each name's A record every 50 ms (all names in one
        /// round) until the backup's address comes back or 5 s pass the due
        /// time; returns when each was first seen (ms since the epoch), and how
        /// many old answers each had with a TTL above 0 (ones the resolver caches).
        func pollUntilBackup(names: [String], dues: [Int64], through resolver: Endpoint) throws
            -> (seen: [Int64?], cachedOld: [Int])
        {
            let socket = try UDPClient(server: resolver)
            var seen = [Int64?](repeating: nil, count: names.count)
            var cachedOld = [Int](repeating: 0, count: names.count)
            var round: UInt16 = 0
            let stopAt = (dues.max() ?? 0) + 5000
            while seen.contains(where: { $0 == nil }), nowMilliseconds() < stopAt {
                round &+= 1
                let roundEnd = nowMilliseconds() + 50
                for index in names.indices where seen[index] == nil {
                    // The ID carries the round (high byte) and the name (low byte).
                    let id = (round & 0xFF) << 8 | UInt16(index)
                    try socket.send(QuerySpec(name: names[index], type: .a, id: id, recursionDesired: true).bytes())
                }
                while true {
                    let left = roundEnd - nowMilliseconds()
                    guard left > 0, let bytes = socket.receive(timeout: Double(left) / 1000) else { break }
                    let at = nowMilliseconds()
                    guard let reply = try? Message(bytes: bytes), reply.header.id >> 8 == round & 0xFF else { continue }
                    let index = Int(reply.header.id & 0xFF)
                    guard index < names.count, seen[index] == nil else { continue }
                    let addresses = reply.answers.filter { $0.type == .a }.map(\.rdata)
                    if addresses == [Self.backupAddress] {
                        seen[index] = at
                    } else if addresses == [Self.primaryAddress] {
                        if reply.answers[0].ttl > 0 { cachedOld[index] += 1 }
                    } else {
                        Issue.record("\(names[index]): unexpected reply \(reply.responseCode) \(reply.answers)")
                    }
                }
            }
            return (seen, cachedOld)
        }
    }
}
