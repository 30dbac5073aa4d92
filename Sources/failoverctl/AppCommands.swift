import ArgumentParser
import FailoverControl

/// `failoverctl app ...`: the platform's apps and their web heads.
struct AppCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app",
        abstract: "Create, replace, remove and list apps.",
        subcommands: [AppPut.self, AppRemove.self, AppGet.self, AppList.self, AppReportHealth.self]
    )
}

struct AppPut: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Create or replace an app (app.put). Groups that follow it change at once.",
        discussion: """
            Give exactly one of --hostname (the group answers CNAME), --address (A/AAAA; repeat it for several \
            addresses) or --no-web-head (not deployed: the group answers NODATA).

            Examples:
              failoverctl app put app1 --name Shop --hostname lb1.example.net
              failoverctl app put app2 --name "Shop DR" --address 192.0.2.10 --address 2001:db8::10
              failoverctl app put app3 --name Staging --no-web-head
              failoverctl app put app1 --name Shop --address 192.0.2.10 --check http --check-path /health
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The app's id (1-128 of A-Z a-z 0-9 . _ : -).") var app: String
    @Option(help: "Display name.") var name: String
    @Option(help: ArgumentHelp("Load balancer host name: the group answers CNAME.", valueName: "host"))
    var hostname: String?
    @Option(
        name: .customLong("address"), help: ArgumentHelp("Web server IPv4/IPv6 address (repeatable).", valueName: "ip"))
    var addresses: [String] = []
    @Flag(name: .customLong("no-web-head"), help: "The app has no web head yet.") var noWebHead = false
    @OptionGroup var check: HealthCheckOptions

    func validate() throws {
        let given = [hostname != nil, !addresses.isEmpty, noWebHead].filter { $0 }.count
        guard given == 1 else {
            throw ValidationError("give exactly one of --hostname, --address or --no-web-head")
        }
    }

    func run() throws {
        let webHead: WebHeadArg? =
            hostname.map(WebHeadArg.hostname) ?? (addresses.isEmpty ? nil : .addresses(addresses))
        try Session(global).run(.appPut(AppPutArgs(app: app, name: name, webHead: webHead, healthCheck: check.arg)),
                                render: Render.app)
    }
}

struct AppRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove an app (app.remove); refused while a group uses it.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The app's id.") var app: String

    func run() throws {
        try Session(global).run(.appRemove(AppIDArgs(app: app))) { _ in "removed app \(app)" }
    }
}

struct AppGet: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one app (app.get).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The app's id.") var app: String

    func run() throws {
        try Session(global).run(.appGet(AppIDArgs(app: app)), render: Render.app)
    }
}

struct AppList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List all apps (app.list).")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try Session(global).run(.appList, render: Render.appList)
    }
}

/// `failoverctl status APP`.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show an app's status (app.status): online, offline or none, and its groups.",
        discussion: "Example:\n  failoverctl status app1")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The app's id.") var app: String

    func run() throws {
        let session = try Session(global)
        let status = try session.call(.appStatus(AppIDArgs(app: app)))
        let info = try session.call(.appGet(AppIDArgs(app: app)))
        if global.json {
            var merged = status.objectValue ?? [:]
            merged["health"] = info["health"] ?? .null
            Output.line(JSONValue.object(merged).encoded())
        } else {
            Output.line((Render.status(status) ?? status.encoded()) + "\n" + (Render.health(info["health"]) ?? ""))
        }
    }
}
