/// How `group.update` treats one field: absent keeps it, JSON null clears it, a value sets it.
/// The wire side of FailoverCore's `FieldChange`, as `ControlRole` is of `Role`.
public enum ControlFieldChange<Value: Sendable & Hashable>: Sendable, Hashable {
    case keep
    case clear
    case set(Value)

    /// The field's new value given its current one.
    public func applied(to current: Value?) -> Value? {
        switch self {
        case .keep: current
        case .clear: nil
        case .set(let value): value
        }
    }

    /// The JSON to send for this update; nil means "leave the key out".
    public func json(_ encode: (Value) -> JSONValue) -> JSONValue? {
        switch self {
        case .keep: nil
        case .clear: .null
        case .set(let value): encode(value)
        }
    }
}
