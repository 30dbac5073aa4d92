import Atomics
import DNSWire
import QueryEngine

/// Answered queries counted by transport, query type and response code, plus
/// truncated answers: fixed tables of relaxed atomics that the serving paths
/// bump per query without a lock or an allocation. Scrapes sum them up.
///
/// The table is striped: each UDP worker writes its own stripe (and TCP one of
/// its own), so workers on different cores do not fight over cache lines.
/// Stripes are a performance hint only: two writers sharing one stay correct.
// Unchecked: `storage` is set once in init; every cell is read and written only with atomic operations.
public final class QueryCounters: @unchecked Sendable {
    /// The query types counted by name, in bucket order (`typeIndex`); everything else is `other`.
    public static let typeNames = ["A", "AAAA", "CNAME", "SOA", "NS", "MX", "TXT", "SRV", "PTR", "CAA", "ANY", "other"]
    static let typeCount = 12
    /// RCODEs 0 to 23 (BADCOOKIE, the highest assigned below the private range) each get a
    /// slot; anything above shares the last one, `other`.
    static let rcodeCount = 25
    static let transportCount = 2
    /// Eight slots (64 bytes) of padding between stripes, so neighbours never share a cache line.
    static let padding = 8
    /// Slots per stripe: the query table, one truncated count per transport, padding.
    static let stripeStride = transportCount * typeCount * rcodeCount + transportCount + padding
    /// A power of two (the stripe is picked with a mask); 16 stripes cost about 80 KB.
    public static let stripeCount = 16
    /// The stripe TCP writes (UDP worker `n` writes `n % stripeCount`).
    public static let tcpStripe = stripeCount - 1

    private let storage: UnsafeMutablePointer<UnsafeAtomic<Int>.Storage>

    public init() {
        let count = Self.stripeCount * Self.stripeStride
        storage = .allocate(capacity: count)
        storage.initialize(repeating: UnsafeAtomic<Int>.Storage(0), count: count)
    }

    deinit {
        storage.deinitialize(count: Self.stripeCount * Self.stripeStride)
        storage.deallocate()
    }

    @inline(__always)
    static func typeIndex(_ type: RecordType) -> Int {
        switch type.rawValue {
        case 1: 0
        case 28: 1
        case 5: 2
        case 6: 3
        case 2: 4
        case 15: 5
        case 16: 6
        case 33: 7
        case 12: 8
        case 257: 9
        case 255: 10
        default: 11
        }
    }

    @inline(__always)
    static func transportIndex(_ transport: Transport) -> Int {
        switch transport {
        case .udp: 0
        case .tcp: 1
        }
    }

    @inline(__always)
    static func slot(transport: Int, type: Int, rcode: Int) -> Int {
        (transport * typeCount + type) * rcodeCount + rcode
    }

    @inline(__always)
    private func increment(stripe: Int, slot: Int) {
        let index = (stripe & (Self.stripeCount - 1)) * Self.stripeStride + slot
        UnsafeAtomic<Int>(at: storage + index).wrappingIncrement(ordering: .relaxed)
    }

    /// Counts one answered query from the engine's outcome (dropped packets are
    /// counted by the transports, per batch).
    @inline(__always)
    public func record(_ outcome: QueryOutcome, transport: Transport, stripe: Int) {
        guard outcome.disposition == .answered else { return }
        let transportIndex = Self.transportIndex(transport)
        let rcode = min(Int(outcome.rcode.rawValue), Self.rcodeCount - 1)
        increment(stripe: stripe, slot: Self.slot(transport: transportIndex, type: Self.typeIndex(outcome.queryType),
                                                  rcode: rcode))
        if outcome.truncated {
            increment(stripe: stripe, slot: Self.transportCount * Self.typeCount * Self.rcodeCount + transportIndex)
        }
    }

    /// The sums over all stripes, read with relaxed loads (each count is exact;
    /// counts taken during traffic are not a snapshot of one instant).
    public func totals() -> QueryCountTotals {
        let cells = Self.transportCount * Self.typeCount * Self.rcodeCount + Self.transportCount
        var sums = [Int](repeating: 0, count: cells)
        for stripe in 0..<Self.stripeCount {
            let base = storage + stripe * Self.stripeStride
            for cell in 0..<cells {
                sums[cell] &+= UnsafeAtomic<Int>(at: base + cell).load(ordering: .relaxed)
            }
        }
        return QueryCountTotals(cells: sums)
    }
}

/// Summed query counts, as read at one scrape.
public struct QueryCountTotals: Sendable, Equatable {
    fileprivate var cells: [Int]

    /// Answered queries with this transport, query type bucket and rcode.
    public func queries(transport: Transport, typeBucket: Int, rcode: Int) -> Int {
        cells[QueryCounters.slot(transport: QueryCounters.transportIndex(transport), type: typeBucket, rcode: rcode)]
    }

    /// Answered queries of `type` (bucketed like the table).
    public func queries(transport: Transport, type: RecordType, rcode: ResponseCode) -> Int {
        queries(transport: transport, typeBucket: QueryCounters.typeIndex(type),
                rcode: min(Int(rcode.rawValue), QueryCounters.rcodeCount - 1))
    }

    /// Answers sent with TC set.
    public func truncated(transport: Transport) -> Int {
        cells[QueryCounters.transportCount * QueryCounters.typeCount * QueryCounters.rcodeCount
            + QueryCounters.transportIndex(transport)]
    }

    /// Label text of an rcode slot: the mnemonic when there is one.
    static func rcodeLabel(_ slot: Int) -> String {
        slot == QueryCounters.rcodeCount - 1 ? "other" : ResponseCode(rawValue: UInt16(slot)).description
    }
}
