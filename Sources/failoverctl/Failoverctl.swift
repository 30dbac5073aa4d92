import ArgumentParser
import FailoverControl

/// The root command: one verb per control request.
struct Failoverctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failoverctl",
        abstract: "Inspect and steer failoverd, the failover-group DNS server, over its control socket.",
        discussion: """
            Each verb sends one request to the daemon and prints the result as text, or as the daemon's JSON \
            with --json (one object per line, for scripts).

            Examples:
              failoverctl hello
              failoverctl app put app1 --name Shop --hostname lb1.example.net
              failoverctl app put app2 --name "Shop DR" --address 192.0.2.10 --address 2001:db8::10
              failoverctl group create --primary app1 --backup app2
              failoverctl switch 414-262-781 --to backup --in 2m
              failoverctl cancel 414-262-781
              failoverctl status app1
              failoverctl watch --json
              failoverctl reconcile desired.yaml --dry-run

            Options go after the verb. The socket is --socket, else $FAILOVERD_SOCKET, else that of a \
            failoverd you started yourself ($XDG_RUNTIME_DIR/failoverd/control.sock) if it is there, else \
            the system service's, /run/failoverd/control.sock (members of failoverd-ctl may use it).

            Exit status: 0 done; 1 refused by the daemon (the error code and message are printed); \
            2 usage error; 3 the daemon could not be reached.
            """,
        subcommands: [
            Hello.self, AppCommand.self, Status.self, GroupCommand.self, Switch.self, Cancel.self, Watch.self,
            Export.self, Stats.self, Reload.self, Reconcile.self,
        ]
    )
}

/// Runs the command line with failoverctl's exit codes: argument-parser reports usage errors as 64
/// (EX_USAGE); failoverctl documents 2 for them, like most Unix tools.
@main
enum FailoverctlMain {
    static func main() {
        do {
            var command = try Failoverctl.parseAsRoot()
            try command.run()
        } catch {
            if Failoverctl.exitCode(for: error) == .validationFailure {
                Output.error(Failoverctl.fullMessage(for: error))
                Failoverctl.exit(withError: ExitCode(2))
            }
            Failoverctl.exit(withError: error)
        }
    }
}
