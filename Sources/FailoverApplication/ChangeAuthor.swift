import FailoverControl
import FailoverCore
import Logging

/// Who asked for a change over the control socket, from the peer's socket credentials (SO_PEERCRED): not
/// what the client says of itself (that is `requested_by`), so it cannot be forged by the client.
public struct ChangeAuthor: Sendable, Equatable {
    public var uid: UInt32
    /// The uid's user name; nil when the account database has none.
    public var user: String?
    public var pid: UInt32

    public init(uid: UInt32, user: String?, pid: UInt32) {
        self.uid = uid
        self.user = user
        self.pid = pid
    }

    /// The `by` member of a watch event: `{"uid":0,"user":"root","pid":123}` (`user` null without a name).
    public var json: JSONValue {
        ["uid": .integer(Int64(uid)), "user": user.map(JSONValue.string) ?? .null, "pid": .integer(Int64(pid))]
    }

    /// The audit line's journal fields UID=, USER=, PID= (see ``JournalLogHandler``).
    var metadata: Logger.Metadata {
        ["uid": "\(uid)", "user": "\(user ?? "")", "pid": "\(pid)"]
    }

    /// The user name, or `uid N` without one.
    var name: String { user ?? "uid \(uid)" }
}

extension Mutation {
    /// What an audit line says was done, e.g. `group.switch 414-262-781 to backup`.
    var auditSummary: String {
        switch self {
        case .appPut(let app): "app.put \(app.id.rawValue)"
        case .appRemove(let id): "app.remove \(id.rawValue)"
        case .groupCreate(let address, _, _, _, _): "group.create \(address)"
        case .groupUpdate(let address, _, _, _, _, _): "group.update \(address)"
        case .groupSwitch(let address, let to, let due, let requestedAt, _):
            due > requestedAt ? "group.switch \(address) to \(to.rawValue) in \(due - requestedAt) ms"
                : "group.switch \(address) to \(to.rawValue)"
        case .groupCancel(let address, _): "group.cancel \(address)"
        case .groupDelete(let address): "group.delete \(address)"
        case .switchApply(let address, _, _): "switch.apply \(address)"
        case .healthSwitch(let address, let to, _, _): "health.switch \(address) to \(to.rawValue)"
        }
    }

    /// The group a mutation is about, for the journal field GROUP=.
    var auditGroup: GroupAddress? {
        switch self {
        case .appPut, .appRemove: nil
        case .groupCreate(let address, _, _, _, _), .groupUpdate(let address, _, _, _, _, _),
            .groupSwitch(let address, _, _, _, _), .groupCancel(let address, _), .groupDelete(let address),
            .switchApply(let address, _, _), .healthSwitch(let address, _, _, _):
            address
        }
    }
}
