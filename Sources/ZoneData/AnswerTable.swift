/// Pre-rendered answers by index (one per app), in a two-level persistent
/// trie of 64 x 64 answers under each top entry: replacing one answer copies
/// a leaf of 64 references, a node of 64, and the top array (one entry per
/// 4,096 answers), not the table.
public final class AnswerTable: Sendable {
    static let leafShift = 6
    static let leafSize = 1 << leafShift
    static let nodeShift = 12
    static let nodeSize = 1 << (nodeShift - leafShift)

    final class Leaf: Sendable {
        let answers: [WebHeadAnswer?]
        init(_ answers: [WebHeadAnswer?]) { self.answers = answers }
        static let empty = Leaf([WebHeadAnswer?](repeating: nil, count: AnswerTable.leafSize))
    }

    final class Node: Sendable {
        let leaves: [Leaf]
        init(_ leaves: [Leaf]) { self.leaves = leaves }
        static let empty = Node([Leaf](repeating: .empty, count: AnswerTable.nodeSize))
    }

    private let nodes: [Node]

    /// Indexes `0..<capacity` are addressable.
    public var capacity: Int { nodes.count << Self.nodeShift }

    private init(nodes: [Node]) { self.nodes = nodes }

    public convenience init(_ answers: [WebHeadAnswer?]) {
        let changes = answers.enumerated().map { (index: Int32($0.offset), answer: $0.element) }
        self.init(nodes: AnswerTable(nodes: []).updating(changes).nodes)
    }

    public convenience init() { self.init(nodes: []) }

    /// The answer at `index`, or nil (no web head, or outside the table).
    @inline(__always)
    public subscript(index: Int32) -> WebHeadAnswer? {
        let node = Int(index) >> Self.nodeShift
        guard index >= 0, node < nodes.count else { return nil }
        let leaf = (Int(index) >> Self.leafShift) & (Self.nodeSize - 1)
        return nodes[node].leaves[leaf].answers[Int(index) & (Self.leafSize - 1)]
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
