/// What a group does on its own when its apps' health changes.
///
/// The default does nothing: switches stay manual. Stored per group only when it differs from the default.
public struct GroupPolicy: Hashable, Sendable, Codable {
    /// How a group returns to its primary after an automatic failover.
    public enum Failback: String, Hashable, Sendable, Codable, CaseIterable {
        /// Only an operator switches back.
        case manual
        /// Back once the primary has been up for ``GroupPolicy/failbackAfter`` seconds.
        case auto
    }

    /// Switch at once when the active app is down and the other is up.
    public var autoFailover: Bool
    public var failback: Failback
    /// Seconds the primary must have been up before an automatic failback.
    public var failbackAfter: UInt32
    /// Least seconds between two automatic switches of the group (and after a manual one): flap damping.
    public var minSwitchInterval: UInt32

    /// Longest wait the policy accepts: a day; longer is no automation.
    public static let maxSeconds: UInt32 = 86_400

    public static let `default` = GroupPolicy(unchecked: false, failback: .manual, failbackAfter: 300, minSwitchInterval: 60)

    /// Validates the two waits (0 to 86,400 seconds).
    public init(autoFailover: Bool = false, failback: Failback = .manual, failbackAfter: UInt32 = 300,
                minSwitchInterval: UInt32 = 60) throws(FailoverError) {
        guard failbackAfter <= Self.maxSeconds else {
            throw .badRequest("failback_after_seconds must be 0 to \(Self.maxSeconds), got \(failbackAfter)")
        }
        guard minSwitchInterval <= Self.maxSeconds else {
            throw .badRequest("min_switch_interval_seconds must be 0 to \(Self.maxSeconds), got \(minSwitchInterval)")
        }
        self.init(unchecked: autoFailover, failback: failback, failbackAfter: failbackAfter,
                  minSwitchInterval: minSwitchInterval)
    }

    init(unchecked autoFailover: Bool, failback: Failback, failbackAfter: UInt32, minSwitchInterval: UInt32) {
        self.autoFailover = autoFailover
        self.failback = failback
        self.failbackAfter = failbackAfter
        self.minSwitchInterval = minSwitchInterval
    }

    public var isDefault: Bool { self == .default }
}
