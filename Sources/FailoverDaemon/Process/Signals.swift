import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension Daemon {
    /// Waits for SIGTERM or SIGINT; SIGHUP calls `onHangup` (reload).
    static func waitForTermination(onHangup: @escaping @Sendable () -> Void) async -> String {
        await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            let queue = DispatchQueue(label: "signals")
            let resumed = ManagedFlag()
            var sources: [DispatchSourceSignal] = []
            for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    guard !resumed.isSet else { return }
                    resumed.set()
                    continuation.resume(returning: name)
                }
                source.resume()
                sources.append(source)
            }
            signal(SIGHUP, SIG_IGN)
            let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
            hangup.setEventHandler { onHangup() }
            hangup.resume()
            sources.append(hangup)
            // The sources live as long as the process: one reference each, never released.
            for source in sources { _ = Unmanaged.passRetained(source as AnyObject) }
        }
    }
}
