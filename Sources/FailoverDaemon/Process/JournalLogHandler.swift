import CSystemd
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler writing structured entries to the systemd journal:
/// MESSAGE, PRIORITY, CODE_FILE/LINE/FUNC, SYSLOG_IDENTIFIER, and each
/// metadata key as an upper-case field (`group` becomes `GROUP=`).
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let fields = JournalFields.encode(
            level: event.level, message: "\(event.message)", metadata: merged, source: event.source,
            file: event.file, function: event.function, line: event.line)
        JournalFields.send(fields)
    }

    /// True when stderr is connected to the journal (systemd sets
    /// JOURNAL_STREAM to stderr's device and inode).
    public static var stderrIsJournal: Bool {
        guard let value = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(STDERR_FILENO, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }
}

/// The journal's field encoding, kept pure so it can be tested.
public enum JournalFields {
    /// syslog(3) priorities for swift-log levels.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// A valid journal field name from a metadata key: upper case, letters,
    /// digits and underscores, not starting with an underscore or digit
    /// (those are reserved or invalid), at most 64 characters.
    public static func fieldName(_ key: String) -> String? {
        var name = ""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "a"..."z": name.unicodeScalars.append(Unicode.Scalar(scalar.value - 32)!)
            case "A"..."Z", "0"..."9", "_": name.unicodeScalars.append(scalar)
            case "-", ".", " ": name.append("_")
            default: continue
            }
        }
        while name.hasPrefix("_") { name.removeFirst() }
        guard let first = name.first, !first.isNumber else { return nil }
        return String(name.prefix(64))
    }

    static let reserved: Set<String> = ["MESSAGE", "PRIORITY", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "SYSLOG_IDENTIFIER"]

    public static func encode(
        level: Logger.Level, message: String, metadata: Logger.Metadata, source: String, file: String,
        function: String, line: UInt
    ) -> [String] {
        var fields = [
            "MESSAGE=\(message)",
            "PRIORITY=\(priority(level))",
            "CODE_FILE=\(file)",
            "CODE_LINE=\(line)",
            "CODE_FUNC=\(function)",
            "SYSLOG_IDENTIFIER=failoverd",
        ]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            guard let name = fieldName(key), !reserved.contains(name) else { continue }
            fields.append("\(name)=\(value)")
        }
        return fields
    }

    /// Sends fields with sd_journal_sendv (values may hold newlines).
    static func send(_ fields: [String]) {
        let total = fields.reduce(0) { $0 + $1.utf8.count }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, total), alignment: 1)
        let vectors = UnsafeMutableBufferPointer<iovec>.allocate(capacity: fields.count)
        defer {
            storage.deallocate()
            vectors.deallocate()
        }
        var offset = 0
        for (index, field) in fields.enumerated() {
            let bytes = field.utf8
            UnsafeMutableRawBufferPointer(rebasing: storage[offset..<(offset + bytes.count)]).copyBytes(from: bytes)
            vectors[index] = iovec(iov_base: storage.baseAddress! + offset, iov_len: bytes.count)
            offset += bytes.count
        }
        _ = sd_journal_sendv(vectors.baseAddress, Int32(fields.count))
    }
}
