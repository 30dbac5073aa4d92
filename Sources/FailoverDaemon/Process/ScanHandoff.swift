import Foundation
import ZoneData

/// The snapshot a fast start scanned, handed from the start-up thread to
/// the state load running beside it: the load waits for it once the model
/// is read, to keep it instead of building another (nil: build one).
final class ScanHandoff: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: ZoneSnapshot?? = nil

    func set(_ snapshot: ZoneSnapshot?) {
        condition.lock()
        result = .some(snapshot)
        condition.broadcast()
        condition.unlock()
    }

    func wait() -> ZoneSnapshot? {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return result!
    }
}
