import FailoverControl
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Helpers shared by the fault tests (crash, disk full, corruption).
enum FaultSupport {
    /// One control request: the result, or what kept it from being one.
    enum Outcome {
        /// `ok: true`: durable.
        case acknowledged(JSONValue)
        /// `ok: false`: the daemon says nothing changed.
        case refused(ControlError)
        /// The request may have been sent but no response arrived: it may or may not have happened.
        case unknown(String)
    }

    /// Sends one request on `client`, classifying the result.
    static func send(_ client: ControlClient, _ op: ControlOperation, _ args: [String: JSONValue]) -> Outcome {
        do {
            return .acknowledged(try client.call(op: op, args: args))
        } catch let error as ControlError {
            return .refused(error)
        } catch {
            return .unknown("\(error)")
        }
    }

    /// `export` on a fresh connection.
    static func export(_ socket: String) throws -> JSONValue {
        let client = try ControlClient(socketPath: socket, timeout: 10)
        defer { client.close() }
        return try client.call(op: .export)
    }

    /// The export's groups by address.
    static func groups(_ export: JSONValue) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for group in export["groups"]?.arrayValue ?? [] {
            if let address = group["address"]?.stringValue { result[address] = group }
        }
        return result
    }

    /// The export's apps by id.
    static func apps(_ export: JSONValue) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for app in export["apps"]?.arrayValue ?? [] {
            if let id = app["app"]?.stringValue { result[id] = app }
        }
        return result
    }

    static func tombstones(_ export: JSONValue) -> Set<String> {
        Set((export["tombstones"]?.arrayValue ?? []).compactMap(\.stringValue))
    }

    /// Broken state invariants in an export: groups referencing missing apps, a role twice, a pending switch
    /// to the active role or to a role without an app, version below 1, a group that is also a tombstone,
    /// `updated` before `created`.
    static func invariantProblems(_ export: JSONValue) -> [String] {
        var problems: [String] = []
        let apps = apps(export)
        let tombstones = tombstones(export)
        for (address, group) in groups(export).sorted(by: { $0.key < $1.key }) {
            let primary = group["primary"]?.stringValue
            let backup = group["backup"]?.stringValue
            for id in [primary, backup].compactMap({ $0 }) where apps[id] == nil {
                problems.append("group \(address) references missing app \(id): \(group)")
            }
            if let primary, primary == backup { problems.append("group \(address) has \(primary) twice: \(group)") }
            if (group["version"]?.int64Value ?? 0) < 1 { problems.append("group \(address) has version < 1: \(group)") }
            if tombstones.contains(address) { problems.append("group \(address) is also a tombstone") }
            if let created = group["created"]?.stringValue, let updated = group["updated"]?.stringValue,
                updated < created
            {
                problems.append("group \(address) updated before it was created: \(group)")
            }
            if let pending = group["pending"], !pending.isNull {
                let to = pending["to"]?.stringValue ?? "?"
                if to == group["active"]?.stringValue {
                    problems.append("group \(address) has a pending switch to its active role: \(group)")
                }
                if group[to] == nil || group[to]?.isNull == true {
                    problems.append("group \(address) has a pending switch to \(to), which has no app: \(group)")
                }
            }
        }
        return problems
    }

    /// Runs a command, returning its exit status and combined output.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
