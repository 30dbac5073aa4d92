// Generates the benchmark data set for N failover groups, from a fixed seed:
//   OUT/state/               failoverd's state directory (snapshot written by StateStore.compact)
//   OUT/failoverd.zone       the static apex failoverd serves beside the groups (SOA, NS, glue)
//   OUT/full.zone            the same apex plus every group as plain records, for NSD and Knot
//   OUT/queries.txt          the dnsperf query mix
//   OUT/groups.tsv           address, primary, backup, kind of the primary's answer (for the change-path tests)
//
// Usage: failoverd-bench-state N OUT [--seed S] [--queries Q]
//
// Group i has primary app-i and backup app-(i+1 mod N); even i answer CNAME lb-K.example.net.,
// odd i answer two A records. Not part of the daemon: a benchmark tool only.
import FailoverCore
import Foundation

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Buffered text output.
final class Output {
    let handle: FileHandle
    var buffer: [UInt8] = []
    init(_ path: String) {
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else { fatalError("cannot create \(path)") }
        self.handle = handle
        buffer.reserveCapacity(1 << 20)
    }
    func line(_ text: String) {
        buffer += text.utf8
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 20 { flush() }
    }
    func flush() {
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
    func close() {
        flush()
        try? handle.close()
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("failoverd-bench-state: \(message)\n".utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var seed: UInt64 = 20_261_127
var queryCount: Int? = nil
var positional: [String] = []
while !arguments.isEmpty {
    let argument = arguments.removeFirst()
    switch argument {
    case "--seed": seed = UInt64(arguments.isEmpty ? "" : arguments.removeFirst()) ?? { fail("--seed needs a number") }()
    case "--queries":
        queryCount = Int(arguments.isEmpty ? "" : arguments.removeFirst()) ?? { fail("--queries needs a number") }()
    default: positional.append(argument)
    }
}
guard positional.count == 2, let groupCount = Int(positional[0]), groupCount >= 2 else {
    fail("usage: failoverd-bench-state N OUT [--seed S] [--queries Q]")
}
let out = positional[1]
let origin = "cloud66.net"
let ttl = 30

func hostname(_ index: Int) -> String { "lb-\(index % 1000).example.net" }
func addresses(_ index: Int) -> [String] {
    ["10.\((index >> 16) & 255).\((index >> 8) & 255).\(index & 255)",
     "172.\(16 + (index >> 16) & 15).\((index >> 8) & 255).\(index & 255)"]
}
func isCNAME(_ index: Int) -> Bool { index % 2 == 0 }

let started = Date()
try? FileManager.default.removeItem(atPath: out + "/state")
try FileManager.default.createDirectory(atPath: out + "/state", withIntermediateDirectories: true)

var random = SplitMix64(state: seed)
var model = FailoverModel()
do {
    for index in 0..<groupCount {
        let head = isCNAME(index)
            ? try WebHead.hostname(validating: hostname(index))
            : try WebHead.addresses(validating: addresses(index))
        try model.apply(.appPut(try App(id: try AppID("app-\(index)"), name: "App \(index)", webHead: head)))
    }
    var addressList: [GroupAddress] = []
    addressList.reserveCapacity(groupCount)
    let now: Int64 = 1_800_000_000_000
    for index in 0..<groupCount {
        let address = try model.allocateAddress(using: &random)
        addressList.append(address)
        try model.apply(.groupCreate(address: address, primary: try AppID("app-\(index)"),
                                     backup: try AppID("app-\((index + 1) % groupCount)"), now: now))
    }
    let built = Date()
    let (store, _, _) = try StateStore.open(directory: out + "/state")
    try store.compact(model: model)
    let written = Date()

    let apex = """
        $ORIGIN \(origin).
        $TTL 3600
        @ IN SOA ns1.\(origin). hostmaster.\(origin). 2026112701 3600 900 1209600 30
        @ IN NS ns1.\(origin).
        @ IN NS ns2.\(origin).
        ns1 IN A 192.0.2.53
        ns2 IN A 198.51.100.53
        www IN CNAME cloud66.com.

        """
    try apex.write(toFile: out + "/failoverd.zone", atomically: true, encoding: .utf8)
    let zone = Output(out + "/full.zone")
    zone.line(apex)
    let groups = Output(out + "/groups.tsv")
    for (index, address) in addressList.enumerated() {
        if isCNAME(index) {
            zone.line("\(address) \(ttl) IN CNAME \(hostname(index)).")
        } else {
            for ip in addresses(index) { zone.line("\(address) \(ttl) IN A \(ip)") }
        }
        groups.line("\(address)\tapp-\(index)\tapp-\((index + 1) % groupCount)\t\(isCNAME(index) ? "cname" : "a")")
    }
    zone.close()
    groups.close()

    // Query mix: 80% A of an existing group, 10% AAAA of an existing group (NODATA for the A half,
    // CNAME for the rest), 10% NXDOMAIN (half group-shaped unknown addresses, half other names).
    let queries = Output(out + "/queries.txt")
    let total = queryCount ?? min(1_000_000, max(100_000, groupCount))
    let existing = Set(addressList.map(\.value))
    for _ in 0..<total {
        let roll = Int.random(in: 0..<100, using: &random)
        if roll < 90 {
            let address = addressList[Int.random(in: 0..<groupCount, using: &random)]
            queries.line("\(address).\(origin) \(roll < 80 ? "A" : "AAAA")")
        } else if roll < 95 {
            var value: UInt32
            repeat { value = UInt32.random(in: 0...GroupAddress.maxValue, using: &random) } while existing.contains(value)
            queries.line("\(GroupAddress(value: value)!).\(origin) A")
        } else {
            queries.line("host\(Int.random(in: 0..<1_000_000, using: &random)).\(origin) A")
        }
    }
    queries.close()
    let done = Date()
    let size = (try? FileManager.default.attributesOfItem(atPath: out + "/state/checkpoint")[.size] as? Int) ?? 0
    print("generated \(groupCount) groups (seed \(seed)) in \(out): model \(String(format: "%.1f", built.timeIntervalSince(started))) s, "
        + "snapshot \(size / 1024) KiB in \(String(format: "%.1f", written.timeIntervalSince(built))) s, "
        + "zone and \(total) queries in \(String(format: "%.1f", done.timeIntervalSince(written))) s")
} catch let error as FailoverError {
    fail(error.message)
} catch {
    fail("\(error)")
}
