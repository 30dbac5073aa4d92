/// A min-heap of deadlines (milliseconds) keyed by `Key`, at most one entry per key.
///
/// The scheduler loop keeps one: `insert` replaces a key's deadline, `remove` drops it, `popDue(atOrBefore:)`
/// takes what fell due. No clock inside: the caller passes the time. Ties pop in key order when keys are
/// comparable, so runs are deterministic.
public struct DeadlineQueue<Key: Hashable & Comparable & Sendable>: Sendable {
    private var heap: [(due: Int64, key: Key)] = []
    private var positions: [Key: Int] = [:]

    public init() {}

    public var count: Int { heap.count }
    public var isEmpty: Bool { heap.isEmpty }

    /// The earliest deadline and its key.
    public var first: (due: Int64, key: Key)? { heap.first }

    /// The deadline of `key`, if queued.
    public func due(of key: Key) -> Int64? { positions[key].map { heap[$0].due } }

    public func contains(_ key: Key) -> Bool { positions[key] != nil }

    /// Queues `key` at `due`, replacing any deadline it had.
    public mutating func insert(_ key: Key, due: Int64) {
        if let index = positions[key] {
            let old = heap[index].due
            heap[index].due = due
            if due < old { siftUp(index) } else { siftDown(index) }
            return
        }
        heap.append((due, key))
        positions[key] = heap.count - 1
        siftUp(heap.count - 1)
    }

    /// Drops `key`; returns its deadline if it was queued.
    @discardableResult
    public mutating func remove(_ key: Key) -> Int64? {
        guard let index = positions[key] else { return nil }
        let due = heap[index].due
        removeAt(index)
        return due
    }

    /// Removes and returns the earliest entry.
    public mutating func popFirst() -> (due: Int64, key: Key)? {
        guard let top = heap.first else { return nil }
        removeAt(0)
        return top
    }

    /// Removes and returns every entry due at or before `time`, earliest first.
    public mutating func popDue(atOrBefore time: Int64) -> [(due: Int64, key: Key)] {
        var result: [(due: Int64, key: Key)] = []
        while let top = heap.first, top.due <= time {
            removeAt(0)
            result.append(top)
        }
        return result
    }

    private mutating func removeAt(_ index: Int) {
        positions[heap[index].key] = nil
        let last = heap.count - 1
        if index != last {
            heap[index] = heap[last]
            positions[heap[index].key] = index
        }
        heap.removeLast()
        if index < heap.count {
            let moved = heap[index].key
            siftUp(index)
            siftDown(positions[moved] ?? index)
        }
    }

    private func precedes(_ lhs: Int, _ rhs: Int) -> Bool {
        (heap[lhs].due, heap[lhs].key) < (heap[rhs].due, heap[rhs].key)
    }

    private mutating func swapAt(_ lhs: Int, _ rhs: Int) {
        heap.swapAt(lhs, rhs)
        positions[heap[lhs].key] = lhs
        positions[heap[rhs].key] = rhs
    }

    private mutating func siftUp(_ start: Int) {
        var index = start
        while index > 0 {
            let parent = (index - 1) / 2
            guard precedes(index, parent) else { return }
            swapAt(index, parent)
            index = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var index = start
        while true {
            let left = 2 * index + 1
            let right = left + 1
            var smallest = index
            if left < heap.count, precedes(left, smallest) { smallest = left }
            if right < heap.count, precedes(right, smallest) { smallest = right }
            guard smallest != index else { return }
            swapAt(index, smallest)
            index = smallest
        }
    }
}
