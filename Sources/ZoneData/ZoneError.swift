/// Why a zone could not be loaded. The description names the source and,
/// when known, the line.
public struct ZoneError: Error, CustomStringConvertible, Equatable {
    public var source: String
    public var line: Int?
    public var message: String

    public init(source: String, line: Int? = nil, message: String) {
        self.source = source
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(source):\(line): \(message)" }
        return "\(source): \(message)"
    }
}
