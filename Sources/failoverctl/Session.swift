import ArgumentParser
import FailoverControl
import Glibc

/// One connection to the daemon for one verb, mapping failures to failoverctl's exit codes.
struct Session {
    /// The daemon refused the request.
    static let refused = ExitCode(1)
    /// The daemon could not be reached or did not answer.
    static let unreachable = ExitCode(3)

    let options: GlobalOptions
    let client: ControlClient

    init(_ options: GlobalOptions) throws {
        self.options = options
        do {
            client = try ControlClient(socketPath: options.socket, timeout: options.timeout)
        } catch {
            Output.error("error: \(error)")
            switch error {
            case .cannotConnect(_, let code) where code == EACCES:
                Output.error(
                    "hint: your user may lack access; the socket's group and the daemon's control.allow-users / "
                        + "allow-groups decide who may connect.")
            default:
                Output.error(
                    "hint: check that failoverd is running and that \(options.socket) is its control.socket "
                        + "(or pass --socket / set FAILOVERD_SOCKET).")
            }
            throw Self.unreachable
        }
    }

    /// Sends `command`; on success prints the result (JSON or `render`'s text) and returns it.
    @discardableResult
    func run(_ command: ControlCommand, render: (JSONValue) -> String?) throws -> JSONValue {
        let result = try call(command)
        if options.json {
            Output.line(result.encoded())
        } else if let text = render(result) {
            if !text.isEmpty { Output.line(text) }
        } else {
            Output.line(result.encoded())
        }
        return result
    }

    /// Sends `command` and returns its result, or prints the failure and throws the matching exit code.
    func call(_ command: ControlCommand) throws -> JSONValue {
        do {
            return try client.call(command)
        } catch let error as ControlError {
            Output.error("error: \(error.code.rawValue): \(error.message)")
            throw Self.refused
        } catch let error as ControlClientError {
            Output.error("error: \(error)")
            if command.operation.isMutation, case .timedOut = error {
                Output.error("note: the request may still have been applied; check with a get before retrying.")
            }
            throw Self.unreachable
        }
    }
}
