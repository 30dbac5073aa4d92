import ArgumentParser
import CNetShim
import FailoverApplication
import FailoverDaemon
import Foundation
import Logging

/// The failoverd daemon's command line.
@main
struct FailoverdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failoverd",
        abstract: "Authoritative DNS server for failover groups.",
        discussion: """
            failoverd answers DNS for one zone (cloud66.net by default): its apex and static \
            names from an RFC 1035 zone file, and failover group addresses that follow an \
            application's web head.

            With no --config it runs on built-in defaults: UDP and TCP on 127.0.0.1:5353 and \
            [::1]:5353, serving a built-in apex for cloud66.net. Try:

              failoverd &
              dig @127.0.0.1 -p 5353 cloud66.net SOA

            See config/failoverd.yaml for every setting, and README.md for operations.
            """,
        version: FailoverdVersion.string
    )

    @Option(name: .shortAndLong, help: ArgumentHelp("YAML configuration file.", valueName: "file"))
    var config: String?

    @Flag(name: .customLong("check-config"), help: "Check the configuration and zone file, print a summary, and exit.")
    var checkConfig = false

    /// ArgumentParser's entry point, after two settings that must come before any other thread exists.
    static func main() async {
        // One malloc arena for every thread: the state loads on a thread of its own, and in an
        // arena of its own the memory it frees in small pieces stayed resident (about 22 MiB at
        // 1M groups, measured). glibc's per-thread caches keep small allocations off the arena
        // lock, and the query path allocates nothing.
        mallopt(M_ARENA_MAX, 1)
        // SIGTERM, SIGINT and SIGHUP blocked in every thread (threads inherit the mask): they stay
        // pending until the daemon's signal sources read them, so one that arrives during start-up,
        // or before a source is registered, is handled late instead of dropped. (Seen once: a
        // SIGTERM right after a fast start was ignored, and the daemon ran on.)
        var handled = sigset_t()
        sigemptyset(&handled)
        for number in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&handled, number) }
        pthread_sigmask(SIG_BLOCK, &handled, nil)
        await main(nil)
    }

    mutating func run() async throws {
        let configuration: DaemonConfig
        do {
            configuration = try config.map { try DaemonConfig.load(path: $0) } ?? DaemonConfig()
        } catch {
            FileHandle.standardError.write(Data("failoverd: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        let toJournal = JournalLogHandler.stderrIsJournal
        LoggingSystem.bootstrap { label in
            if toJournal { return JournalLogHandler(label: label, level: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "failoverd")
        if checkConfig {
            do {
                let zone = try Daemon.loadZone(config: configuration)
                for warning in zone.warnings { print("warning: \(warning)") }
                print("configuration \(configuration.source): ok")
                print("zone \(zone.origin) from \(configuration.zoneFile ?? "built-in default"): \(zone.nodes.count) names, serial \(zone.serial)")
                if let file = configuration.healthCAFile {
                    print("health.ca-file \(file): \(try Daemon.loadHealthTrust(config: configuration).count) certificates")
                }
                print("listen: \(configuration.listen.map(\.description).joined(separator: ", "))")
                if let metrics = configuration.metricsListen {
                    print("metrics: http://\(metrics)/metrics" + (metrics.isLoopback ? "" : " (warning: not a loopback address)"))
                } else {
                    print("metrics: off")
                }
                return
            } catch {
                FileHandle.standardError.write(Data("failoverd: \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
        // Blocks of 256 KiB and more get pages of their own, given back when freed. Left to itself glibc
        // raises that threshold as large blocks are freed; a journal compaction's temporary arrays then
        // landed in the heap and left it 13 to 19 MiB larger for good at 1M groups (docs/performance.md).
        // MALLOC_MMAP_THRESHOLD_ in the environment still wins.
        if ProcessInfo.processInfo.environment["MALLOC_MMAP_THRESHOLD_"] == nil {
            _ = fo_fix_mmap_threshold(256 * 1024)
        }
        let daemon: Daemon
        do {
            daemon = try Daemon(config: configuration, configPath: config, logger: logger)
        } catch {
            // The zone file: a configuration error like a bad key (the unit does not restart on 2).
            logger.critical("\(error)")
            throw ExitCode(2)
        }
        do {
            try await daemon.run()
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
    }
}
