/// An app of the platform: its id, a display name, its web head (nil while not deployed) and, optionally, how
/// to check the web head's health.
public struct App: Hashable, Sendable, Codable {
    /// Longest display name, in Unicode scalars.
    public static let maxNameLength = 200

    public let id: AppID
    public let name: String
    public let webHead: WebHead?
    /// The health check of the web head; nil: not checked.
    public let healthCheck: HealthCheck?

    /// Validates the name (1 to 200 printable characters, no control characters).
    public init(id: AppID, name: String, webHead: WebHead?, healthCheck: HealthCheck? = nil) throws(FailoverError) {
        try Self.validateName(name)
        self.id = id
        self.name = name
        self.webHead = webHead
        self.healthCheck = healthCheck
    }

    /// Builds an app from parts validated when they were stored.
    init(unchecked id: AppID, name: String, webHead: WebHead?, healthCheck: HealthCheck? = nil) {
        self.id = id
        self.name = name
        self.webHead = webHead
        self.healthCheck = healthCheck
    }

    /// The same app with `check` as its health check.
    public func with(healthCheck check: HealthCheck?) -> App {
        App(unchecked: id, name: name, webHead: webHead, healthCheck: check)
    }

    /// Throws `bad_request` unless `name` has 1 to 200 Unicode scalars and none is a control character.
    public static func validateName(_ name: String) throws(FailoverError) {
        // Printable ASCII, the common case: one scalar a byte and no control character, so only the length counts.
        let utf8 = name.utf8
        if !utf8.isEmpty, utf8.count <= maxNameLength, utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return }
        let scalars = name.unicodeScalars
        guard !scalars.isEmpty else { throw .badRequest("app name is empty") }
        guard scalars.count <= maxNameLength else {
            throw .badRequest("app name is \(scalars.count) characters long; the limit is \(maxNameLength)")
        }
        guard !scalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .badRequest("app name \(quoted(name)) contains a control character")
        }
    }

    private enum CodingKeys: String, CodingKey {
        case id
        case name
        case webHead
        case healthCheck
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let id = try container.decode(AppID.self, forKey: .id)
        let name = try container.decode(String.self, forKey: .name)
        let webHead = try container.decodeIfPresent(WebHead.self, forKey: .webHead)
        let check = try container.decodeIfPresent(HealthCheck.self, forKey: .healthCheck)
        do {
            try self.init(id: id, name: name, webHead: webHead, healthCheck: check)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .name, in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(webHead, forKey: .webHead)
        try container.encodeIfPresent(healthCheck, forKey: .healthCheck)
    }
}
