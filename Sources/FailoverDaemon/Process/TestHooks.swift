import Foundation

/// Fault-injection hooks for the integration tests, read from the
/// environment. Compiled into debug builds only: a release build has every
/// hook nil, and neither reads nor names the variables.
enum TestHooks {
    #if DEBUG
    /// FAILOVERD_TEST_TRANSFER_DELAY_MS: each zone transfer's rendering first
    /// sleeps this long (here in microseconds), to prove the event loop serves others meanwhile.
    static let transferDelayMicroseconds: UInt32? = value("FAILOVERD_TEST_TRANSFER_DELAY_MS").flatMap(UInt32.init)
        .map { $0 * 1000 }

    /// FAILOVERD_TEST_STALL_UDP_AFTER_MS: UDP worker 0 stops making progress
    /// after this many milliseconds, to prove the watchdog notices.
    static let udpStallAfterMilliseconds: Double? = value("FAILOVERD_TEST_STALL_UDP_AFTER_MS").flatMap(Double.init)

    /// The hooks set, as `NAME=value`, for the start-up log.
    static var active: [String] {
        ["FAILOVERD_TEST_TRANSFER_DELAY_MS", "FAILOVERD_TEST_STALL_UDP_AFTER_MS"].compactMap { name in
            value(name).map { "\(name)=\($0)" }
        }
    }

    private static func value(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }
    #else
    static let transferDelayMicroseconds: UInt32? = nil
    static let udpStallAfterMilliseconds: Double? = nil
    static let active: [String] = []
    #endif
}
