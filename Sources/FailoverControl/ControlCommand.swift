/// A request's operation with its arguments decoded and type-checked: what the daemon switches over.
public enum ControlCommand: Sendable, Hashable {
    case hello(HelloArgs)
    case appPut(AppPutArgs)
    case appRemove(AppIDArgs)
    case appGet(AppIDArgs)
    case appList
    case appStatus(AppIDArgs)
    case appReportHealth(ReportHealthArgs)
    case groupCreate(GroupCreateArgs)
    case groupUpdate(GroupUpdateArgs)
    case groupSwitch(GroupSwitchArgs)
    case groupCancel(GroupAddressArgs)
    case groupDelete(GroupAddressArgs)
    case groupGet(GroupAddressArgs)
    case groupList
    case export
    case watch
    case stats
    case reload

    /// Decodes `args` for `operation`; every failure is `bad_request`.
    public init(operation: ControlOperation, args: [String: JSONValue]) throws(ControlError) {
        switch operation {
        case .hello: self = .hello(try HelloArgs(args, for: operation))
        case .appPut: self = .appPut(try AppPutArgs(args, for: operation))
        case .appRemove: self = .appRemove(try AppIDArgs(args, for: operation))
        case .appGet: self = .appGet(try AppIDArgs(args, for: operation))
        case .appList: _ = try NoArgs(args, for: operation); self = .appList
        case .appStatus: self = .appStatus(try AppIDArgs(args, for: operation))
        case .appReportHealth: self = .appReportHealth(try ReportHealthArgs(args, for: operation))
        case .groupCreate: self = .groupCreate(try GroupCreateArgs(args, for: operation))
        case .groupUpdate: self = .groupUpdate(try GroupUpdateArgs(args, for: operation))
        case .groupSwitch: self = .groupSwitch(try GroupSwitchArgs(args, for: operation))
        case .groupCancel: self = .groupCancel(try GroupAddressArgs(args, for: operation))
        case .groupDelete: self = .groupDelete(try GroupAddressArgs(args, for: operation))
        case .groupGet: self = .groupGet(try GroupAddressArgs(args, for: operation))
        case .groupList: _ = try NoArgs(args, for: operation); self = .groupList
        case .export: _ = try NoArgs(args, for: operation); self = .export
        case .watch: _ = try NoArgs(args, for: operation); self = .watch
        case .stats: _ = try NoArgs(args, for: operation); self = .stats
        case .reload: _ = try NoArgs(args, for: operation); self = .reload
        }
    }

    /// The operation this command performs.
    public var operation: ControlOperation {
        switch self {
        case .hello: .hello
        case .appPut: .appPut
        case .appRemove: .appRemove
        case .appGet: .appGet
        case .appList: .appList
        case .appStatus: .appStatus
        case .appReportHealth: .appReportHealth
        case .groupCreate: .groupCreate
        case .groupUpdate: .groupUpdate
        case .groupSwitch: .groupSwitch
        case .groupCancel: .groupCancel
        case .groupDelete: .groupDelete
        case .groupGet: .groupGet
        case .groupList: .groupList
        case .export: .export
        case .watch: .watch
        case .stats: .stats
        case .reload: .reload
        }
    }

    /// The `args` object to send for this command.
    public var args: [String: JSONValue] {
        switch self {
        case .appList, .groupList, .export, .watch, .stats, .reload: [:]
        case .hello(let args): args.json
        case .appPut(let args): args.json
        case .appReportHealth(let args): args.json
        case .appRemove(let args), .appGet(let args), .appStatus(let args): args.json
        case .groupCreate(let args): args.json
        case .groupUpdate(let args): args.json
        case .groupSwitch(let args): args.json
        case .groupCancel(let args), .groupDelete(let args), .groupGet(let args): args.json
        }
    }
}
