import TestSupport
import Testing

@testable import FailoverCore

@Suite struct DeadlineQueueTests {
    @Test func popsInDueOrderWithKeyTieBreak() {
        var queue = DeadlineQueue<Int>()
        for (key, due) in [(5, 50), (1, 10), (3, 30), (2, 30), (4, 5)] { queue.insert(key, due: Int64(due)) }
        #expect(queue.count == 5)
        #expect(queue.first?.key == 4)
        var order: [Int] = []
        while let next = queue.popFirst() { order.append(next.key) }
        #expect(order == [4, 1, 2, 3, 5])
        #expect(queue.isEmpty)
    }

    @Test func replaceAndRemove() {
        var queue = DeadlineQueue<String>()
        queue.insert("a", due: 10)
        queue.insert("b", due: 20)
        queue.insert("c", due: 30)
        queue.insert("c", due: 1)
        #expect(queue.count == 3)
        #expect(queue.first?.key == "c")
        queue.insert("c", due: 100)
        #expect(queue.due(of: "c") == 100)
        #expect(queue.remove("a") == 10)
        #expect(queue.remove("a") == nil)
        #expect(!queue.contains("a"))
        #expect(queue.popDue(atOrBefore: 50).map(\.key) == ["b"])
        #expect(queue.popDue(atOrBefore: 99).isEmpty)
        #expect(queue.popDue(atOrBefore: 100).map(\.key) == ["c"])
    }

    @Test func randomOperationsMatchASortedModel() {
        var generator = SeededRandom(seed: 7)
        var queue = DeadlineQueue<Int>()
        var reference: [Int: Int64] = [:]
        for _ in 0..<20_000 {
            let key = Int.random(in: 0..<200, using: &generator)
            switch Int.random(in: 0..<4, using: &generator) {
            case 0, 1:
                let due = Int64.random(in: 0..<1000, using: &generator)
                queue.insert(key, due: due)
                reference[key] = due
            case 2:
                #expect(queue.remove(key) == reference.removeValue(forKey: key))
            default:
                let expected = reference.min { ($0.value, $0.key) < ($1.value, $1.key) }
                let popped = queue.popFirst()
                #expect(popped?.key == expected?.key)
                #expect(popped?.due == expected?.value)
                if let key = expected?.key { reference[key] = nil }
            }
            #expect(queue.count == reference.count)
        }
        let drained = queue.popDue(atOrBefore: .max)
        #expect(drained.map(\.key) == reference.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map(\.key))
    }
}
