import ArgumentParser
import FailoverControl
import Glibc

/// A delay typed as `90`, `90s`, `2m`, `1h`, `1h30m` or `0`.
struct DurationArgument: ExpressibleByArgument {
    var seconds: Double

    init?(argument: String) {
        guard let seconds = ControlDuration.seconds(from: argument) else { return nil }
        self.seconds = seconds
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// `failoverctl switch GROUP --to ROLE [--in DURATION]`.
struct Switch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Schedule a group to switch to its primary or backup app (group.switch).",
        discussion: """
            The switch takes effect after --in (default: the daemon's configured switch-delay; 0 = at once). \
            Asking again replaces the pending switch; asking for the active role cancels it.

            Examples:
              failoverctl switch 414-262-781 --to backup --in 2m
              failoverctl switch 414-262-781 --to backup --in 0
              failoverctl switch 414-262-781 --to primary        # back after the default delay
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The group's address, NNN-NNN-NNN.") var address: String
    @Option(help: ArgumentHelp("The role to make active: primary or backup.", valueName: "role")) var to: Role
    @Option(
        name: .customLong("in"),
        help: ArgumentHelp("Delay before the switch: 90, 90s, 2m, 1h30m, 0.", valueName: "duration"))
    var delay: DurationArgument?
    @Option(
        name: .customLong("by"),
        help: ArgumentHelp(
            "Who asks, recorded with the switch (default: failoverctl and your user).", valueName: "text"))
    var requestedBy: String?

    enum Role: String, ExpressibleByArgument, CaseIterable {
        case primary, backup
    }

    func run() throws {
        let args = GroupSwitchArgs(
            address: address, to: to == .primary ? .primary : .backup, delaySeconds: delay?.seconds,
            requestedBy: requestedBy ?? Self.defaultRequester())
        try Session(global).run(.groupSwitch(args), render: Render.switchResult)
    }

    static func defaultRequester() -> String {
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name {
            return "failoverctl (\(String(cString: name)))"
        }
        return "failoverctl (uid \(getuid()))"
    }
}

/// `failoverctl cancel GROUP`.
struct Cancel: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel a group's pending switch (group.cancel).",
        discussion: "Example:\n  failoverctl cancel 414-262-781")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The group's address, NNN-NNN-NNN.") var address: String

    func run() throws {
        try Session(global).run(.groupCancel(GroupAddressArgs(address: address)), render: Render.cancelResult)
    }
}
