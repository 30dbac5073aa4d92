import ArgumentParser
import FailoverControl

/// `failoverctl group ...`: failover groups.
struct GroupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group",
        abstract: "Create, update, show, list and delete failover groups.",
        subcommands: [GroupCreate.self, GroupUpdate.self, GroupGet.self, GroupList.self, GroupDelete.self]
    )
}

struct GroupCreate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a group (group.create); the daemon allocates its address unless --address is given.",
        discussion: """
            Examples:
              failoverctl group create --primary app1 --backup app2
              failoverctl group create --address 414-262-781 --primary app1     # migrating an existing group
              failoverctl group create                                          # reserve an address
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("A fixed address NNN-NNN-NNN (for migrations).", valueName: "address"))
    var address: String?
    @Option(help: ArgumentHelp("The primary app's id.", valueName: "app")) var primary: String?
    @Option(help: ArgumentHelp("The backup app's id.", valueName: "app")) var backup: String?
    @OptionGroup var policy: PolicyOptions

    func run() throws {
        let args = GroupCreateArgs(address: address, primary: primary, backup: backup, policy: policy.args)
        try Session(global).run(.groupCreate(args), render: Render.group)
    }
}

struct GroupUpdate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Change a group's apps (group.update); unnamed roles keep their app.",
        discussion: """
            Clearing the app a pending switch goes to cancels that switch. --if-version N refuses the change \
            (conflict) unless the group's version is still N.

            Examples:
              failoverctl group update 414-262-781 --backup app3
              failoverctl group update 414-262-781 --clear-backup --if-version 4
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The group's address, NNN-NNN-NNN.") var address: String
    @Option(help: ArgumentHelp("Set the primary app.", valueName: "app")) var primary: String?
    @Flag(help: "Remove the primary app.") var clearPrimary = false
    @Option(help: ArgumentHelp("Set the backup app.", valueName: "app")) var backup: String?
    @Flag(help: "Remove the backup app.") var clearBackup = false
    @Option(help: ArgumentHelp("Only if the group's version is this.", valueName: "n")) var ifVersion: UInt64?
    @OptionGroup var policy: PolicyOptions

    func validate() throws {
        if primary != nil, clearPrimary { throw ValidationError("--primary and --clear-primary exclude each other") }
        if backup != nil, clearBackup { throw ValidationError("--backup and --clear-backup exclude each other") }
        if primary == nil, !clearPrimary, backup == nil, !clearBackup, policy.args.isEmpty {
            throw ValidationError(
                "nothing to change: give --primary, --clear-primary, --backup, --clear-backup or a policy option")
        }
    }

    func run() throws {
        func update(_ value: String?, clear: Bool) -> ControlFieldChange<String> {
            clear ? .clear : value.map(ControlFieldChange.set) ?? .keep
        }
        let args = GroupUpdateArgs(
            address: address, primary: update(primary, clear: clearPrimary), backup: update(backup, clear: clearBackup),
            ifVersion: ifVersion, policy: policy.args)
        try Session(global).run(.groupUpdate(args), render: Render.group)
    }
}

struct GroupGet: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one group (group.get).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The group's address, NNN-NNN-NNN.") var address: String

    func run() throws {
        try Session(global).run(.groupGet(GroupAddressArgs(address: address)), render: Render.group)
    }
}

struct GroupList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List all groups (group.list).")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try Session(global).run(.groupList, render: Render.groupList)
    }
}

struct GroupDelete: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete an empty group (group.delete); its address is never handed out again.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The group's address, NNN-NNN-NNN.") var address: String

    func run() throws {
        try Session(global).run(.groupDelete(GroupAddressArgs(address: address))) { _ in "deleted group \(address)" }
    }
}
