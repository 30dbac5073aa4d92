/// Pre-rendered answers by index (one per app), in a two-level persistent
/// trie of 64 x 64 answers under each top entry: replacing one answer copies
/// a leaf of 64 references, a node of 64, and the top array (one entry per
/// 4,096 answers), not the table.
///
/// Beside the references, each level keeps plain pointers to the level
/// below and each leaf the answers' ``WebHeadAnswer/View``s, so a lookup is
/// three loads with no reference counting.
public final class AnswerTable: @unchecked Sendable {
    static let leafShift = 6
    static let leafSize = 1 << leafShift
    static let nodeShift = 12
    static let nodeSize = 1 << (nodeShift - leafShift)

    typealias Views = UnsafeMutablePointer<WebHeadAnswer.View?>

    /// Immutable after init (the pointers too).
    final class Leaf: @unchecked Sendable {
        let answers: [WebHeadAnswer?]
        let views: Views

        init(_ answers: [WebHeadAnswer?]) {
            self.answers = answers
            views = .allocate(capacity: AnswerTable.leafSize)
            views.initialize(repeating: nil, count: AnswerTable.leafSize)
            for (index, answer) in answers.enumerated() { views[index] = answer?.view }
        }

        deinit { views.deallocate() }

        static let empty = Leaf([WebHeadAnswer?](repeating: nil, count: AnswerTable.leafSize))
    }

    final class Node: @unchecked Sendable {
        let leaves: [Leaf]
        let leafViews: UnsafeMutablePointer<Views>

        init(_ leaves: [Leaf]) {
            self.leaves = leaves
            leafViews = .allocate(capacity: AnswerTable.nodeSize)
            leafViews.initialize(from: leaves.map(\.views), count: AnswerTable.nodeSize)
        }

        deinit { leafViews.deallocate() }

        static let empty = Node([Leaf](repeating: .empty, count: AnswerTable.nodeSize))
    }

    private let nodes: [Node]
    private let nodeViews: UnsafeMutablePointer<UnsafeMutablePointer<Views>>
    /// `nodes.count`, kept as a plain value for the query path.
    private let nodeCount: Int

    /// Indexes `0..<capacity` are addressable.
    public var capacity: Int { nodes.count << Self.nodeShift }

    private init(nodes: [Node]) {
        self.nodes = nodes
        nodeCount = nodes.count
        nodeViews = .allocate(capacity: max(1, nodes.count))
        nodeViews.initialize(from: nodes.map(\.leafViews), count: nodes.count)
    }

    deinit { nodeViews.deallocate() }

    /// A table holding `answers[i]` at index `i`, built leaf by leaf.
    public convenience init(_ answers: [WebHeadAnswer?]) {
        var nodes: [Node] = []
        var leaves: [Leaf] = []
        var start = 0
        while start < answers.count {
            var slice = Array(answers[start..<min(answers.count, start + Self.leafSize)])
            slice += [WebHeadAnswer?](repeating: nil, count: Self.leafSize - slice.count)
            leaves.append(Leaf(slice))
            start += Self.leafSize
            if leaves.count == Self.nodeSize {
                nodes.append(Node(leaves))
                leaves = []
            }
        }
        if !leaves.isEmpty {
            leaves += [Leaf](repeating: .empty, count: Self.nodeSize - leaves.count)
            nodes.append(Node(leaves))
        }
        self.init(nodes: nodes)
    }

    public convenience init() { self.init(nodes: []) }

    /// The answer at `index`, or nil (no web head, or outside the table).
    public subscript(index: Int32) -> WebHeadAnswer? {
        let node = Int(index) >> Self.nodeShift
        guard index >= 0, node < nodes.count else { return nil }
        let leaf = (Int(index) >> Self.leafShift) & (Self.nodeSize - 1)
        return nodes[node].leaves[leaf].answers[Int(index) & (Self.leafSize - 1)]
    }

    /// The records of the answer at `index` for the query path; valid while
    /// this table lives.
    @inline(__always)
    public func view(_ index: Int32) -> WebHeadAnswer.View? {
        let node = Int(index) >> Self.nodeShift
        guard index >= 0, node < nodeCount else { return nil }
        return nodeViews[node][(Int(index) >> Self.leafShift) & (Self.nodeSize - 1)][Int(index) & (Self.leafSize - 1)]
    }

    /// A new table with the answers at some indexes replaced (nil clears).
    public func updating(_ changes: [(index: Int32, answer: WebHeadAnswer?)]) -> AnswerTable {
        guard !changes.isEmpty else { return self }
        var nodes = self.nodes
        var leaves: [Int: [WebHeadAnswer?]] = [:]
        for change in changes where change.index >= 0 {
            let index = Int(change.index)
            while index >> Self.nodeShift >= nodes.count { nodes.append(.empty) }
            let leaf = index >> Self.leafShift
            leaves[leaf, default: nodes[leaf >> (Self.nodeShift - Self.leafShift)].leaves[leaf & (Self.nodeSize - 1)].answers][
                index & (Self.leafSize - 1)] = change.answer
        }
        var nodeLeaves: [Int: [Leaf]] = [:]
        for (leaf, answers) in leaves {
            let node = leaf >> (Self.nodeShift - Self.leafShift)
            nodeLeaves[node, default: nodes[node].leaves][leaf & (Self.nodeSize - 1)] = Leaf(answers)
        }
        for (node, list) in nodeLeaves { nodes[node] = Node(list) }
        return AnswerTable(nodes: nodes)
    }
}
