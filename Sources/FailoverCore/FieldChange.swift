/// What an update does to one optional field: keep it, set it, or clear it.
///
/// In control requests: key absent = keep, a value = set, JSON null = clear.
public enum FieldChange<Value: Hashable & Sendable & Codable>: Hashable, Sendable, Codable {
    case keep
    case set(Value)
    case clear

    /// The field's value after the change.
    public func applied(to current: Value?) -> Value? {
        switch self {
        case .keep: return current
        case .set(let value): return value
        case .clear: return nil
        }
    }
}
