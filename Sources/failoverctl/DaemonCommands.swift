import ArgumentParser
import FailoverControl

/// `failoverctl hello`.
struct Hello: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the daemon answers; show its version, protocol, zone and serial (hello).")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try Session(global).run(.hello(HelloArgs(protocolVersion: ControlProtocol.version)), render: Render.hello)
    }
}

/// `failoverctl watch`.
struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print events as they happen, one per line, until interrupted (watch).",
        discussion: """
            Events: switch.scheduled, switch.done, switch.cancelled, group.changed, app.changed, status.changed.
            With --json each line is the event object as the daemon sent it.

            Example:
              failoverctl watch --json | grep switch.done
            """
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let session = try Session(global)
        do {
            try session.client.watch { event in
                Output.line(global.json ? event.json.encoded() : Render.event(event))
                return .continue
            }
        } catch let error as ControlError {
            Output.error("error: \(error.code.rawValue): \(error.message)")
            throw Session.refused
        } catch let error as ControlClientError {
            Output.error("error: \(error)")
            throw Session.unreachable
        }
    }
}

/// `failoverctl export`.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the whole state: apps, groups, tombstones (export). Use --json to reconcile or back up.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try Session(global).run(.export, render: Render.export)
    }
}

/// `failoverctl stats`.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the daemon's counters (stats).")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try Session(global).run(.stats, render: Render.stats)
    }
}

/// `failoverctl reload`.
struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-read the configuration and the static zone file (reload).")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try Session(global).run(.reload, render: Render.reload)
    }
}
