import FailoverControl
import Foundation

/// Text renderings of results for people. Each returns nil when the result does not have the expected shape,
/// and the caller then prints the JSON instead.
enum Render {
    static func nowMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000).rounded())
    }

    /// Columns padded to their widest cell, two spaces apart.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// Aligned `key  value` lines.
    static func fields(_ pairs: [(String, String)]) -> String {
        let width = pairs.map(\.0.count).max() ?? 0
        return pairs.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }
            .joined(separator: "\n")
    }

    static func time(_ milliseconds: Int64) -> String {
        RFC3339.string(fromMilliseconds: milliseconds)
    }

    /// "to backup in 1m42s (due 2026-11-27T22:00:00.000Z)" or "-" with no pending switch.
    static func pending(_ pending: PendingInfo?, now: Int64, long: Bool = false) -> String {
        guard let pending else { return "-" }
        let remaining = Double(pending.due - now) / 1_000
        let when = remaining > 0 ? "in \(ControlDuration.string(seconds: remaining))" : "now (overdue)"
        var text = "to \(pending.to.rawValue) \(when) (due \(time(pending.due))"
        if long, let by = pending.requestedBy { text += ", requested by \(by)" }
        if long { text += ", asked \(time(pending.requestedAt))" }
        return text + ")"
    }

    static func group(_ json: JSONValue) -> String? {
        GroupInfo(json: json).map { group(detail: $0) }
    }

    static func group(detail group: GroupInfo) -> String {
        let now = nowMilliseconds()
        func app(_ role: ControlRole) -> String {
            (group.app(in: role) ?? "-") + (group.active == role ? "  (active)" : "")
        }
        return fields([
            ("group", "\(group.address)  \(group.name)"),
            ("primary", app(.primary)),
            ("backup", app(.backup)),
            ("active", group.active.rawValue),
            ("pending", pending(group.pending, now: now, long: true)),
            ("version", String(group.version)),
            ("created", time(group.created)),
            ("updated", time(group.updated)),
        ] + (group.policy.map { policy in
            [("policy", "auto_failover \(policy.autoFailover ?? false), failback \(policy.failback ?? "manual") after "
                + "\(policy.failbackAfterSeconds ?? 300) s, min interval \(policy.minSwitchIntervalSeconds ?? 60) s")]
        } ?? []))
    }

    static func groupTable(_ groups: [GroupInfo]) -> String {
        let now = nowMilliseconds()
        let rows = groups.map { group in
            [
                group.address, group.primary ?? "-", group.backup ?? "-", group.active.rawValue,
                String(group.version), pending(group.pending, now: now),
            ]
        }
        return table(["ADDRESS", "PRIMARY", "BACKUP", "ACTIVE", "VERSION", "PENDING"], rows)
    }

    static func groupList(_ json: JSONValue) -> String? {
        guard let list = json["groups"]?.arrayValue else { return nil }
        let groups = list.compactMap(GroupInfo.init(json:))
        guard groups.count == list.count else { return nil }
        return groups.isEmpty ? "no groups" : groupTable(groups)
    }

    static func webHead(_ webHead: WebHeadArg?) -> String {
        switch webHead {
        case nil: "-"
        case .hostname(let name)?: "CNAME \(name)"
        case .addresses(let list)?: list.joined(separator: " ")
        }
    }

    static func app(_ json: JSONValue) -> String? {
        guard let app = AppInfo(json: json) else { return nil }
        var rows = [
            ("app", app.app), ("name", app.name), ("web head", webHead(app.webHead)), ("status", app.status.rawValue),
        ]
        if let check = app.healthCheck {
            rows.append(("check", check.json.encoded()))
        }
        var text = fields(rows)
        if let health = Render.health(app.health) { text += "\n" + health }
        return text
    }

    /// The `health` member of an app: the combined state, then each checker and each address.
    static func health(_ json: JSONValue?) -> String? {
        guard let json, !json.isNull, let state = json["state"]?.stringValue else { return nil }
        var lines = ["health: \(state)" + (json["since"]?.stringValue.map { " since \($0)" } ?? "")]
        for (name, checker) in (json["checkers"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            lines.append("  \(name): \(checker["state"]?.stringValue ?? "?")"
                + (checker["error"]?.stringValue.map { " (\($0))" } ?? ""))
            for address in checker["addresses"]?.arrayValue ?? [] {
                let ok = address["ok"]?.boolValue == true
                lines.append("    \(address["address"]?.stringValue ?? "?")  \(ok ? "ok" : "failing")"
                    + (address["error"]?.stringValue.map { "  \($0)" } ?? ""))
            }
        }
        return lines.joined(separator: "\n")
    }

    static func appTable(_ apps: [AppInfo]) -> String {
        table(
            ["APP", "NAME", "STATUS", "WEB HEAD"],
            apps.map { [$0.app, $0.name, $0.status.rawValue, webHead($0.webHead)] })
    }

    static func appList(_ json: JSONValue) -> String? {
        guard let list = json["apps"]?.arrayValue else { return nil }
        let apps = list.compactMap(AppInfo.init(json:))
        guard apps.count == list.count else { return nil }
        return apps.isEmpty ? "no apps" : appTable(apps)
    }

    static func status(_ json: JSONValue) -> String? {
        guard let status = AppStatusInfo(json: json) else { return nil }
        var lines = ["\(status.app): \(status.status.rawValue)"]
        for membership in status.groups {
            lines.append("  \(membership.address)  \(membership.role.rawValue)\(membership.active ? "  (active)" : "")")
        }
        if status.groups.isEmpty { lines.append("  in no group") }
        return lines.joined(separator: "\n")
    }

    static func hello(_ json: JSONValue) -> String? {
        guard let hello = HelloInfo(json: json) else { return nil }
        return "\(hello.server) \(hello.version), protocol \(hello.protocolVersion), zone \(hello.zone), "
            + "serial \(hello.serial)"
    }

    static func switchResult(_ json: JSONValue) -> String? {
        guard let result = SwitchResult(json: json) else { return nil }
        let group = result.group
        let now = nowMilliseconds()
        switch result.outcome {
        case .scheduled:
            return "\(group.address): switch \(pending(group.pending, now: now))"
        case .applied:
            return
                "\(group.address): switched, \(group.active.rawValue) (\(group.app(in: group.active) ?? "-")) is active"
        case .cancelled:
            return "\(group.address): \(group.active.rawValue) is already active; pending switch cancelled"
        case .unchanged:
            return "\(group.address): \(group.active.rawValue) is already active; nothing to do"
        }
    }

    static func cancelResult(_ json: JSONValue) -> String? {
        guard let result = CancelResult(json: json) else { return nil }
        let address = result.group.address
        return result.cancelled ? "\(address): pending switch cancelled" : "\(address): no switch was pending"
    }

    static func stats(_ json: JSONValue) -> String? {
        guard let members = json.objectValue else { return nil }
        var pairs: [(String, String)] = []
        for key in members.keys.sorted() where key != "counters" {
            pairs.append((key, scalar(members[key]!)))
        }
        for (key, value) in (members["counters"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            pairs.append((key, scalar(value)))
        }
        return fields(pairs)
    }

    static func export(_ json: JSONValue) -> String? {
        guard let apps = json["apps"]?.arrayValue?.compactMap(AppInfo.init(json:)),
            let groups = json["groups"]?.arrayValue?.compactMap(GroupInfo.init(json:))
        else { return nil }
        let tombstones = json["tombstones"]?.arrayValue?.count ?? 0
        let header =
            "zone \(scalar(json["zone"] ?? .null)), serial \(scalar(json["serial"] ?? .null)), "
            + "\(apps.count) apps, \(groups.count) groups, \(tombstones) tombstones"
        var parts = [header]
        if !apps.isEmpty { parts.append(appTable(apps)) }
        if !groups.isEmpty { parts.append(groupTable(groups)) }
        return parts.joined(separator: "\n\n")
    }

    static func reload(_ json: JSONValue) -> String? {
        guard let zone = json["zone"]?.stringValue, let serial = json["serial"]?.int64Value else { return nil }
        return "reloaded: zone \(zone), serial \(serial)"
    }

    static func scalar(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .null: "-"
        default: value.encoded()
        }
    }

    /// One line per event: time, name, then a summary.
    static func event(_ event: ControlEvent) -> String {
        let fields = event.fields
        func text(_ key: String) -> String { scalar(fields[key] ?? .null) }
        let summary: String
        switch event.knownName {
        case .switchScheduled?:
            summary =
                "\(text("address")) to \(text("to")) due \(text("due"))"
                + (fields["requested_by"]?.stringValue.map { " by \($0)" } ?? "")
        case .switchDone?:
            summary = "\(text("address")) \(text("from")) -> \(text("to"))"
                + (fields["reason"]?.stringValue.map { " (\($0))" } ?? "")
        case .switchCancelled?:
            summary = "\(text("address")) to \(text("to")) (\(text("reason")))"
        case .groupChanged?:
            summary = "\(text("address")) \(text("change"))"
        case .appChanged?:
            summary = "\(text("app")) \(text("change"))"
        case .statusChanged?:
            summary = "\(text("app")) \(text("previous")) -> \(text("status"))"
        case .healthChanged?:
            summary = "\(text("app")) \(text("previous")) -> \(text("state"))"
        case .failoverBlocked?:
            summary = "\(text("address")) stays (\(text("reason")))"
        case nil:
            summary = fields.keys.sorted().compactMap { key in
                let value = fields[key]!
                if case .object = value { return nil }
                return "\(key)=\(scalar(value))"
            }.joined(separator: " ")
        }
        return "\(time(event.at))  \(event.name)  \(summary)"
    }
}
