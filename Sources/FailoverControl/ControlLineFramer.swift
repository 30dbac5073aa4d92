/// Splits a byte stream into `\n`-terminated lines, however the bytes arrive (one at a time or many lines
/// per read), with a bound on line length.
///
/// A line longer than `maximumLineLength` yields ``Frame/tooLarge`` once; the rest of it is discarded up to the
/// next newline, after which framing resumes, so one oversized request does not desynchronise the connection.
/// Blank lines (only whitespace) are skipped, which lets a person type at the socket with `socat`.
public struct ControlLineFramer: Sendable {
    /// What ``next()`` returns.
    public enum Frame: Sendable, Hashable {
        /// One line without its terminating newline (a trailing `\r` is removed too).
        case line([UInt8])
        /// A line exceeded the maximum length and was discarded.
        case tooLarge
    }

    public let maximumLineLength: Int
    private var buffer: [UInt8] = []
    /// Where the bytes not yet returned start: lines are cut off the front only when more bytes arrive.
    private var start = 0
    private var scanned = 0
    private var discarding = false

    public init(maximumLineLength: Int) {
        self.maximumLineLength = maximumLineLength
    }

    /// Bytes held that do not yet form a complete line.
    public var bufferedCount: Int { buffer.count - start }

    /// Appends bytes received from the stream.
    public mutating func append<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func next() -> Frame? {
        while true {
            guard let newline = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) else {
                compact()
                scanned = buffer.count
                if !discarding, buffer.count >= maximumLineLength {
                    discarding = true
                    buffer.removeAll(keepingCapacity: true)
                    scanned = 0
                    return .tooLarge
                }
                if discarding {
                    buffer.removeAll(keepingCapacity: true)
                    scanned = 0
                }
                return nil
            }
            var line = start..<newline
            start = newline + 1
            scanned = start
            if discarding {
                discarding = false
                continue
            }
            // The limit counts the newline, as ControlRequest.maximumLineLength does.
            if line.count + 1 > maximumLineLength {
                return .tooLarge
            }
            if buffer[line].last == UInt8(ascii: "\r") { line = line.lowerBound..<(line.upperBound - 1) }
            if buffer[line].allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
            return .line(Array(buffer[line]))
        }
    }

    /// Drops the bytes of lines already returned.
    private mutating func compact() {
        guard start > 0 else { return }
        buffer.removeSubrange(..<start)
        scanned -= start
        start = 0
    }
}
