/// The group addresses in ascending order, for the DNSSEC denial chain.
///
/// Ascending numeric order is the canonical DNS order of the group names
/// (RFC 4034 6.1): every group label is `NNN-NNN-NNN`, 11 bytes with the
/// hyphens at the same places, so comparing labels byte by byte compares the
/// numbers. Stored as sorted runs of at most ``runLimit`` addresses:
/// ``updating(inserting:removing:)`` copies the runs it touches and the array
/// of run references, not the whole order, so a commit stays cheap at a
/// million groups (about 4 bytes a group).
public struct AddressOrder: Sendable, Equatable {
    /// Largest run; a run that grows past it is split in two.
    static let runLimit = 1024
    /// Runs built from scratch are filled to here, leaving room for inserts before a split.
    static let runFill = 768

    /// Non-empty sorted runs, each wholly below the next.
    private var runs: [[UInt32]]
    /// The first address of each run, for the binary search over runs.
    private var firsts: [UInt32]
    /// Addresses held.
    public private(set) var count: Int

    /// The addresses of `addresses` (any order, repeats ignored).
    public init(_ addresses: some Sequence<UInt32>) {
        var sorted = Array(addresses)
        sorted.sort()
        var unique: [UInt32] = []
        unique.reserveCapacity(sorted.count)
        for address in sorted where unique.last != address { unique.append(address) }
        runs = stride(from: 0, to: unique.count, by: Self.runFill).map {
            Array(unique[$0..<min($0 + Self.runFill, unique.count)])
        }
        firsts = runs.map { $0[0] }
        count = unique.count
    }

    public init() { self.init([]) }

    /// Equal when they hold the same addresses, however the runs are cut.
    public static func == (lhs: AddressOrder, rhs: AddressOrder) -> Bool {
        lhs.count == rhs.count && lhs.addresses.elementsEqual(rhs.addresses)
    }

    /// Every address, ascending.
    public var addresses: some Sequence<UInt32> { runs.lazy.joined() }

    public var first: UInt32? { runs.first?.first }
    public var last: UInt32? { runs.last?.last }

    public func contains(_ address: UInt32) -> Bool {
        guard let run = run(holding: address) else { return false }
        return Self.index(in: runs[run], notBelow: address).map { runs[run][$0] == address } ?? false
    }

    /// The smallest address above `address`, or nil.
    public func successor(of address: UInt32) -> UInt32? {
        guard address < UInt32.max else { return nil }
        return atOrAbove(address + 1)
    }

    /// The smallest address at or above `address`, or nil.
    public func atOrAbove(_ address: UInt32) -> UInt32? {
        first { $0 >= address }
    }

    /// The largest address below `address`, or nil.
    public func predecessor(of address: UInt32) -> UInt32? {
        guard let run = run(holding: address) else { return nil }
        if let index = Self.index(in: runs[run], notBelow: address) {
            if index > 0 { return runs[run][index - 1] }
            return run > 0 ? runs[run - 1].last : nil
        }
        return runs[run].last
    }

    /// The smallest address for which `isAbove` holds, or nil. `isAbove`
    /// must be false for every address below some bound and true from it on.
    public func first(where isAbove: (UInt32) -> Bool) -> UInt32? {
        var low = 0
        var high = firsts.count
        while low < high {
            let middle = (low + high) / 2
            if isAbove(firsts[middle]) { high = middle } else { low = middle + 1 }
        }
        // Runs before `low` start below the bound; the answer is in run `low - 1` or is run `low`'s first.
        if low > 0 {
            let run = runs[low - 1]
            var start = 1
            var end = run.count
            while start < end {
                let middle = (start + end) / 2
                if isAbove(run[middle]) { end = middle } else { start = middle + 1 }
            }
            if start < run.count { return run[start] }
        }
        return low < runs.count ? runs[low][0] : nil
    }

    /// A new order with `inserting` added and `removing` taken out (an
    /// address in both is added). Shares every untouched run with this one.
    public func updating(inserting: some Sequence<UInt32>, removing: some Sequence<UInt32>) -> AddressOrder {
        var next = self
        for address in removing { next.remove(address) }
        for address in inserting { next.insert(address) }
        return next
    }

    private mutating func insert(_ address: UInt32) {
        guard !runs.isEmpty else {
            runs = [[address]]
            firsts = [address]
            count = 1
            return
        }
        let run = run(holding: address) ?? 0
        let index = Self.index(in: runs[run], notBelow: address) ?? runs[run].count
        if index < runs[run].count, runs[run][index] == address { return }
        runs[run].insert(address, at: index)
        firsts[run] = runs[run][0]
        count += 1
        if runs[run].count > Self.runLimit {
            let upper = Array(runs[run][(Self.runLimit / 2)...])
            runs[run].removeSubrange((Self.runLimit / 2)...)
            runs.insert(upper, at: run + 1)
            firsts.insert(upper[0], at: run + 1)
        }
    }

    private mutating func remove(_ address: UInt32) {
        guard let run = run(holding: address), let index = Self.index(in: runs[run], notBelow: address),
            runs[run][index] == address
        else { return }
        runs[run].remove(at: index)
        count -= 1
        if runs[run].isEmpty {
            runs.remove(at: run)
            firsts.remove(at: run)
        } else {
            firsts[run] = runs[run][0]
        }
    }

    /// The run whose range may hold `address`: the last run starting at or
    /// below it; nil when `address` is below every run.
    private func run(holding address: UInt32) -> Int? {
        var low = 0
        var high = firsts.count
        while low < high {
            let middle = (low + high) / 2
            if firsts[middle] <= address { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : low - 1
    }

    /// The index of the first address in `run` at or above `address`, or nil when all are below.
    private static func index(in run: [UInt32], notBelow address: UInt32) -> Int? {
        var low = 0
        var high = run.count
        while low < high {
            let middle = (low + high) / 2
            if run[middle] < address { low = middle + 1 } else { high = middle }
        }
        return low < run.count ? low : nil
    }
}
