import Atomics
import Foundation
import QueryEngine

extension CookieSecrets: AtomicReference {}

/// The DNS cookie secrets in force, swapped atomically on rotation. With a
/// configured secret (shared by servers behind one address) it never
/// rotates; otherwise a random secret is drawn at start and replaced every
/// `rotation` seconds, the previous one accepted for one more period.
public final class CookieStore: Sendable {
    private let current: ManagedAtomic<CookieSecrets>

    public init(secret: [UInt8]?) {
        current = ManagedAtomic(CookieSecrets(current: secret ?? Self.randomSecret()))
    }

    @inline(__always)
    public func load() -> CookieSecrets { current.load(ordering: .acquiring) }

    /// Draws a new secret, keeping the current one as the previous.
    public func rotate() {
        let old = current.load(ordering: .acquiring)
        let previous = withUnsafeBytes(of: old.current.0.littleEndian) { Array($0) }
            + withUnsafeBytes(of: old.current.1.littleEndian) { Array($0) }
        current.store(CookieSecrets(current: Self.randomSecret(), previous: previous), ordering: .releasing)
    }

    static func randomSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}
