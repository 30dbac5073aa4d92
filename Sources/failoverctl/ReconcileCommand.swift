import ArgumentParser
import FailoverControl
import Foundation
import Yams

/// `failoverctl reconcile FILE [--dry-run] [--prune] [--in DURATION]`: make the daemon's apps and groups
/// what a desired-state file says (docs/platform-client.md, "Desired state" and "Reconciliation").
struct Reconcile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make apps and groups match a desired-state file (YAML or JSON).",
        discussion: """
            Compares the file with the daemon's export and prints the plan; without --dry-run applies it in \
            order and stops at the first refusal (exit 1). Group updates carry if_version; a switch or cancel \
            first checks the group's version. Apps not in the file are removed only with --prune, and only \
            when no group uses them. Groups not in the file are left alone. A group is switched only when the \
            file gives its `active` side.

            Examples:
              failoverctl reconcile desired.yaml --dry-run
              failoverctl reconcile desired.yaml --prune --in 2m
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The desired state, YAML or JSON.") var file: String
    @Flag(help: "Print the plan, change nothing.") var dryRun = false
    @Flag(help: "Remove apps the file does not name and no group uses.") var prune = false
    @Option(
        name: .customLong("in"),
        help: ArgumentHelp("Delay of the switches the plan schedules (default: the daemon's switch-delay).",
                           valueName: "duration"))
    var delay: DurationArgument?

    func run() throws {
        let desired = try Self.load(file)
        let session = try Session(global)
        let export = try session.call(.export)
        let apps = (export["apps"]?.arrayValue ?? []).compactMap(AppInfo.init(json:))
        let groups = (export["groups"]?.arrayValue ?? []).compactMap(GroupInfo.init(json:))
        let plan = ReconcilePlan(desired: desired, apps: apps, groups: groups, prune: prune, switchDelay: delay?.seconds)
        if dryRun || plan.isEmpty {
            Output.line(plan.description)
            return
        }
        var versions: [String: UInt64] = [:]  // versions after this run's own group updates
        for step in plan.steps {
            if let expected = step.expectVersion, case .groupSwitch(let args) = step.command {
                try check(session, args.address, versions[args.address] ?? expected, step)
            } else if let expected = step.expectVersion, case .groupCancel(let args) = step.command {
                try check(session, args.address, versions[args.address] ?? expected, step)
            }
            let result: JSONValue
            do {
                result = try session.client.call(step.command)
            } catch let error as ControlError {
                Output.error("stopped at: \(step.description)\nerror: \(error.code.rawValue): \(error.message)")
                throw Session.refused
            } catch {
                Output.error("stopped at: \(step.description)\nerror: \(error)")
                throw Session.unreachable
            }
            if case .groupUpdate(let args) = step.command, let version = result["version"]?.int64Value {
                versions[args.address] = UInt64(version)
            }
            if case .groupCreate(let args) = step.command, args.address == nil {
                Output.line("\(step.description): created \(result["address"]?.stringValue ?? "?")")
            } else {
                Output.line(step.description)
            }
        }
        Output.line("applied \(plan.steps.count) change\(plan.steps.count == 1 ? "" : "s")")
    }

    /// Stops (exit 1) unless the group is still at the version the plan was made for.
    private func check(_ session: Session, _ address: String, _ expected: UInt64, _ step: ReconcileStep) throws {
        let group = try session.call(.groupGet(GroupAddressArgs(address: address)))
        guard let version = group["version"]?.int64Value, UInt64(version) != expected else { return }
        Output.error(
            "stopped at: \(step.description)\nerror: conflict: group \(address) is at version \(version), "
                + "the plan expected \(expected); run reconcile again")
        throw Session.refused
    }

    /// Reads the file as YAML (JSON is YAML too).
    static func load(_ path: String) throws -> DesiredState {
        do {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            return try DesiredState(json: jsonValue(try Yams.load(yaml: text) ?? [String: Any]()))
        } catch let error as DesiredStateError {
            throw ValidationError("\(path): \(error)")
        } catch {
            throw ValidationError("\(path): \(error)")
        }
    }

    private static func jsonValue(_ value: Any) throws -> JSONValue {
        switch value {
        case let map as [String: Any]: return .object(try map.mapValues(jsonValue))
        case let map as [AnyHashable: Any]:
            return .object(Dictionary(uniqueKeysWithValues: try map.map { ("\($0.key)", try jsonValue($0.value)) }))
        case let list as [Any]: return .array(try list.map(jsonValue))
        case let string as String: return .string(string)
        case let bool as Bool: return .bool(bool)
        case let int as Int: return .integer(Int64(int))
        case let double as Double: return .number(double)
        case is NSNull: return .null
        default: throw DesiredStateError("unsupported value \(value)")
        }
    }
}
