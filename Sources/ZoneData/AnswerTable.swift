/// Pre-rendered answers by index (one per app), in a two-level persistent
/// trie of 64 x 64 answers under each top entry: replacing one answer copies
/// a leaf of 64 answers, a node of 64 leaf references, and the top array
/// (one entry per 4,096 answers), not the table.
///
/// A leaf is one allocation: 64 entries of 8 bytes, then the answers'
/// RDATA back to back (about 20 to 30 bytes an answer in all, where an
/// object per answer took over 200). Each level keeps plain pointers to the level
/// below, so a lookup is three loads with no reference counting.
// Unchecked: `let` raw pointers into leaves and nodes that are immutable after init.
public final class AnswerTable: @unchecked Sendable {
    static let leafShift = 6
    static let leafSize = 1 << leafShift
    static let nodeShift = 12
    static let nodeSize = 1 << (nodeShift - leafShift)

    /// Where one answer sits in its leaf's records.
    struct Entry {
        /// Byte offset after the entries; ``absent`` for no answer.
        var offset: UInt32
        var cnameLength: UInt16
        var addressCount: UInt8
        var address6Count: UInt8

        static let absent = Entry(offset: .max, cnameLength: 0, addressCount: 0, address6Count: 0)
    }

    /// RDATA bytes of one A and one AAAA record.
    static let addressRecordSize = 4
    static let address6RecordSize = 16

    /// 64 answers in one allocation; immutable after init.
    // Unchecked: one raw allocation, filled in init and read-only afterwards.
    final class Leaf: @unchecked Sendable {
        let base: UnsafeMutableRawPointer

        /// Copies up to 64 answers' records (views into storage the caller keeps alive meanwhile).
        init(_ views: [WebHeadAnswer.View?]) {
            let entriesSize = AnswerTable.leafSize * MemoryLayout<Entry>.stride
            let recordsSize = views.reduce(0) { total, view in
                total + (view.map { $0.cname.count + $0.addressRecords.count + $0.address6Records.count } ?? 0)
            }
            base = .allocate(byteCount: entriesSize + recordsSize, alignment: MemoryLayout<Entry>.alignment)
            let entries = base.bindMemory(to: Entry.self, capacity: AnswerTable.leafSize)
            entries.initialize(repeating: .absent, count: AnswerTable.leafSize)
            var at = entriesSize
            for (index, view) in views.prefix(AnswerTable.leafSize).enumerated() {
                guard let view else { continue }
                entries[index] = Entry(offset: UInt32(at - entriesSize), cnameLength: UInt16(view.cname.count),
                                       addressCount: UInt8(view.addressCount), address6Count: UInt8(view.address6Count))
                for part in [view.cname, view.addressRecords, view.address6Records] where !part.isEmpty {
                    (base + at).copyMemory(from: part.baseAddress!, byteCount: part.count)
                    at += part.count
                }
            }
        }

        deinit { base.deallocate() }

        /// The answer at `index` (0 to 63) of the leaf at `base`.
        @inline(__always)
        static func view(_ base: UnsafeMutableRawPointer, _ index: Int) -> WebHeadAnswer.View? {
            let entry = base.load(fromByteOffset: index * MemoryLayout<Entry>.stride, as: Entry.self)
            guard entry.offset != Entry.absent.offset else { return nil }
            let records = UnsafeRawPointer(base) + AnswerTable.leafSize * MemoryLayout<Entry>.stride
                + Int(entry.offset)
            let cname = Int(entry.cnameLength)
            let v4 = Int(entry.addressCount) * AnswerTable.addressRecordSize
            let v6 = Int(entry.address6Count) * AnswerTable.address6RecordSize
            return WebHeadAnswer.View(
                cname: UnsafeRawBufferPointer(start: records, count: cname),
                addressRecords: UnsafeRawBufferPointer(start: records + cname, count: v4),
                addressCount: Int(entry.addressCount),
                address6Records: UnsafeRawBufferPointer(start: records + cname + v4, count: v6),
                address6Count: Int(entry.address6Count))
        }

        func view(_ index: Int) -> WebHeadAnswer.View? { Self.view(base, index) }

        static let empty = Leaf([])
    }

    // Unchecked: a raw array of leaf base pointers, filled in init and read-only afterwards.
    final class Node: @unchecked Sendable {
        let leaves: [Leaf]
        let leafBases: UnsafeMutablePointer<UnsafeMutableRawPointer>

        init(_ leaves: [Leaf]) {
            self.leaves = leaves
            leafBases = .allocate(capacity: AnswerTable.nodeSize)
            leafBases.initialize(from: leaves.map(\.base), count: AnswerTable.nodeSize)
        }

        deinit { leafBases.deallocate() }

        static let empty = Node([Leaf](repeating: .empty, count: AnswerTable.nodeSize))
    }

    private let nodes: [Node]
    private let nodeBases: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutableRawPointer>>
    /// `nodes.count`, kept as a plain value for the query path.
    private let nodeCount: Int

    /// Indexes `0..<capacity` are addressable.
    public var capacity: Int { nodes.count << Self.nodeShift }

    private init(nodes: [Node]) {
        self.nodes = nodes
        nodeCount = nodes.count
        nodeBases = .allocate(capacity: max(1, nodes.count))
        nodeBases.initialize(from: nodes.map(\.leafBases), count: nodes.count)
    }

    deinit { nodeBases.deallocate() }

    /// A table holding the `i`-th answer at index `i`, built leaf by leaf:
    /// a lazy sequence is rendered 64 answers at a time, never all at once.
    public convenience init(_ answers: some Sequence<WebHeadAnswer?>) {
        var builder = Builder()
        for answer in answers { builder.append(answer) }
        self.init(nodes: builder.finishedNodes())
    }

    /// Builds a table from answers given one at a time, in index order,
    /// keeping only the last 64 rendered answers alive.
    public struct Builder {
        private var nodes: [Node] = []
        private var leaves: [Leaf] = []
        private var batch: [WebHeadAnswer?] = []

        public init() { batch.reserveCapacity(AnswerTable.leafSize) }

        /// Adds the answer for the next index.
        public mutating func append(_ answer: WebHeadAnswer?) {
            batch.append(answer)
            if batch.count == AnswerTable.leafSize { flushLeaf() }
        }

        private mutating func flushLeaf() {
            leaves.append(Leaf(batch.map { $0?.view }))
            batch.removeAll(keepingCapacity: true)
            if leaves.count == AnswerTable.nodeSize {
                nodes.append(Node(leaves))
                leaves = []
            }
        }

        fileprivate mutating func finishedNodes() -> [Node] {
            if !batch.isEmpty { flushLeaf() }
            if !leaves.isEmpty {
                leaves += [Leaf](repeating: .empty, count: AnswerTable.nodeSize - leaves.count)
                nodes.append(Node(leaves))
                leaves = []
            }
            return nodes
        }

        /// The table of every answer added.
        public mutating func finish() -> AnswerTable { AnswerTable(nodes: finishedNodes()) }
    }

    public convenience init() { self.init(nodes: []) }

    /// The answer at `index` as an object of its own, or nil (no web head, or outside the table).
    public subscript(index: Int32) -> WebHeadAnswer? {
        view(index).map { WebHeadAnswer(copying: $0) }
    }

    /// The records of the answer at `index` for the query path; valid while
    /// this table lives.
    @inline(__always)
    public func view(_ index: Int32) -> WebHeadAnswer.View? {
        let node = Int(index) >> Self.nodeShift
        guard index >= 0, node < nodeCount else { return nil }
        return Leaf.view(nodeBases[node][(Int(index) >> Self.leafShift) & (Self.nodeSize - 1)],
                         Int(index) & (Self.leafSize - 1))
    }

    /// A new table with the answers at some indexes replaced (nil clears).
    public func updating(_ changes: [(index: Int32, answer: WebHeadAnswer?)]) -> AnswerTable {
        guard !changes.isEmpty else { return self }
        var nodes = self.nodes
        // Views into this table's leaves and into `changes`' answers, both alive until the new leaves are built.
        var leaves: [Int: [WebHeadAnswer.View?]] = [:]
        for change in changes where change.index >= 0 {
            let index = Int(change.index)
            while index >> Self.nodeShift >= nodes.count { nodes.append(.empty) }
            let leaf = index >> Self.leafShift
            let old = nodes[leaf >> (Self.nodeShift - Self.leafShift)].leaves[leaf & (Self.nodeSize - 1)]
            leaves[leaf, default: (0..<Self.leafSize).map { old.view($0) }][index & (Self.leafSize - 1)] =
                change.answer?.view
        }
        var nodeLeaves: [Int: [Leaf]] = [:]
        for (leaf, views) in leaves {
            let node = leaf >> (Self.nodeShift - Self.leafShift)
            nodeLeaves[node, default: nodes[node].leaves][leaf & (Self.nodeSize - 1)] = Leaf(views)
        }
        for (node, list) in nodeLeaves { nodes[node] = Node(list) }
        return AnswerTable(nodes: nodes)
    }
}
