import ArgumentParser
import FailoverControl

/// `app put --check ...`: the app's health check; every field but the type may be left to the daemon's default.
struct HealthCheckOptions: ParsableArguments {
    @Option(name: .customLong("check"), help: ArgumentHelp("Health check: http, https or tcp.", valueName: "type"))
    var type: String?
    @Option(name: .customLong("check-port"), help: ArgumentHelp("Port (default 80, https 443).", valueName: "port"))
    var port: UInt64?
    @Option(name: .customLong("check-path"), help: ArgumentHelp("HTTP path (default /).", valueName: "path"))
    var path: String?
    @Option(name: .customLong("check-host"), help: ArgumentHelp("Host header and TLS server name.", valueName: "host"))
    var host: String?
    @Option(name: .customLong("check-expect"), help: ArgumentHelp("Passing statuses (default 200-399).", valueName: "range"))
    var expect: String?
    @Option(name: .customLong("check-interval"), help: ArgumentHelp("Seconds between rounds (default 10).", valueName: "s"))
    var interval: UInt64?
    @Option(name: .customLong("check-timeout"), help: ArgumentHelp("Seconds a check may take (default 2).", valueName: "s"))
    var timeout: UInt64?
    @Option(name: .customLong("check-fall"), help: ArgumentHelp("Failed rounds before down (default 3).", valueName: "n"))
    var fall: UInt64?
    @Option(name: .customLong("check-rise"), help: ArgumentHelp("Passed rounds before up (default 2).", valueName: "n"))
    var rise: UInt64?
    @Flag(name: .customLong("check-insecure"), help: "HTTPS without certificate verification.")
    var insecure = false

    func validate() throws {
        let detail = port != nil || path != nil || host != nil || expect != nil || interval != nil || timeout != nil
            || fall != nil || rise != nil || insecure
        if type == nil, detail { throw ValidationError("--check-* options need --check http|https|tcp") }
    }

    /// The `health_check` argument; nil without --check.
    var arg: HealthCheckArg? {
        type.map {
            HealthCheckArg(type: $0, port: port, path: path, host: host, expect: expect, intervalSeconds: interval,
                           timeoutSeconds: timeout, fall: fall, rise: rise, insecure: insecure ? true : nil)
        }
    }
}

/// `group create|update --auto-failover ...`: the group's health policy.
struct PolicyOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Switch on health: true or false (default false).", valueName: "bool"))
    var autoFailover: Bool?
    @Option(help: ArgumentHelp("Back to the primary: manual or auto (default manual).", valueName: "mode"))
    var failback: String?
    @Option(help: ArgumentHelp("Seconds the primary must be up before an auto failback (default 300).",
                               valueName: "s"))
    var failbackAfter: UInt64?
    @Option(help: ArgumentHelp("Least seconds between automatic switches (default 60).", valueName: "s"))
    var minSwitchInterval: UInt64?

    var args: GroupPolicyArgs {
        GroupPolicyArgs(autoFailover: autoFailover, failback: failback, failbackAfterSeconds: failbackAfter,
                        minSwitchIntervalSeconds: minSwitchInterval)
    }
}

/// `failoverctl app report-health APP --checker NAME --state up|down`.
struct AppReportHealth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report-health",
        abstract: "Report an external checker's verdict on an app (app.report_health).",
        discussion: "Example:\n  failoverctl app report-health app1 --checker eu-1 --state down --ttl 30")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The app's id.") var app: String
    @Option(help: ArgumentHelp("The checker's name.", valueName: "name")) var checker: String
    @Option(help: ArgumentHelp("up or down.", valueName: "state")) var state: String
    @Option(help: ArgumentHelp("Seconds the verdict stays fresh (default 30).", valueName: "s")) var ttl: UInt64?

    func run() throws {
        try Session(global).run(
            .appReportHealth(ReportHealthArgs(app: app, checker: checker, state: state, ttlSeconds: ttl))
        ) { json in Render.health(json["health"]) }
    }
}
