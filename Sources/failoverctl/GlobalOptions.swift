import ArgumentParser
import FailoverControl
import Foundation

/// Options every verb takes: where the socket is and how to print.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Path of the daemon's control socket ($FAILOVERD_SOCKET overrides the default).", valueName: "path"))
    var socket: String =
        ProcessInfo.processInfo.environment[ControlProtocol.socketEnvironmentVariable]
        ?? ControlProtocol.clientSocketPath

    @Flag(name: .long, help: "Print the daemon's JSON result (one line) instead of text.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for the daemon's answer.", valueName: "seconds"))
    var timeout: Double = 10

    func validate() throws {
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number") }
    }
}
