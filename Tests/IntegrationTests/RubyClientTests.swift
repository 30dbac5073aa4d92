import Foundation
import Testing

extension Integration {
    /// The Ruby client's minitest suite (clients/ruby/test) against the real daemon, and the Swift
    /// `failoverctl reconcile` from a drifted state.
    @Suite struct RubyClientTests {
        static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path

        static var ruby: String? {
            ["/usr/bin/ruby", "/usr/local/bin/ruby"].first { FileManager.default.isExecutableFile(atPath: $0) }
        }

        @Test("the Ruby client's suite passes against the real daemon",
              .enabled(if: ruby != nil, "ruby is not installed (scripts/ensure-packages test installs it)"))
        func rubySuite() throws {
            let ruby = try #require(Self.ruby)
            let client = Self.repository + "/clients/ruby"
            let script = "Dir[ARGV[0] + '/test/*_test.rb'].sort.each { |file| require file }"
            let result = try runTool(
                "/usr/bin/env",
                ["FAILOVERD_BIN=\(try DaemonProcess.binaryPath())", ruby, "-I\(client)/lib", "-I\(client)/test",
                 "-e", script, client],
                timeout: 300)
            #expect(result.status == 0, "ruby suite failed:\n\(result.stdout)\n\(result.stderr)")
            #expect(result.stdout.contains(", 0 failures, 0 errors"), "\(result.stdout)")
        }

        @Test("failoverctl reconcile: drifted state, one apply, then nothing to do")
        func failoverctlReconcile() throws {
            let daemon = try DaemonProcess(zone: ControlZone.text, label: "ctl-reconcile")
            defer { daemon.stop() }
            let client = try daemon.control()
            let address = "414-262-781"
            _ = try client.call(op: .appPut, args: ["app": "shop", "name": "Shop", "web_head": ["hostname": "lb1.example.net"]])
            _ = try client.call(op: .appPut, args: ["app": "old", "name": "Old", "web_head": .null])
            _ = try client.call(op: .appPut, args: ["app": "stray", "name": "Stray", "web_head": .null])
            _ = try client.call(op: .groupCreate, args: ["address": .string(address), "primary": "shop", "backup": "old"])
            _ = try client.call(op: .groupSwitch, args: ["address": .string(address), "to": "backup", "delay_seconds": 0])
            let file = try daemon.folder.write("desired.yaml", """
                apps:
                  - {app: shop, name: Shop, web_head: {hostname: lb2.example.net}}
                  - {app: shop-dr, name: Shop DR, web_head: {addresses: [192.0.2.10]}}
                groups:
                  - {address: \(address), primary: shop, backup: shop-dr, active: primary}
                """)
            let ctl = try DaemonProcess.failoverctlPath()
            let common = [file, "--socket", daemon.controlSocket, "--prune", "--in", "0"]

            let dry = try runTool(ctl, ["reconcile"] + common + ["--dry-run"])
            #expect(dry.status == 0, "\(dry.stderr)")
            #expect(dry.stdout == """
                put app shop (web head lb1.example.net -> lb2.example.net)
                put app shop-dr (missing)
                update group \(address): backup old -> shop-dr (if version 2)
                switch group \(address) to primary in 0s (if version 3)
                remove app old (not desired, in no group)
                remove app stray (not desired, in no group)

                """)
            #expect(try client.call(op: .appList)["apps"]?.arrayValue?.count == 3, "a dry run changes nothing")

            let apply = try runTool(ctl, ["reconcile"] + common)
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(apply.stdout.hasSuffix("applied 6 changes\n"), "\(apply.stdout)")
            let group = try client.call(op: .groupGet, args: ["address": .string(address)])
            #expect(group["primary"] == "shop" && group["backup"] == "shop-dr" && group["active"] == "primary", "\(group)")
            let apps = try client.call(op: .appList)["apps"]?.arrayValue?.compactMap { $0["app"]?.stringValue }
            #expect(apps == ["shop", "shop-dr"])

            let again = try runTool(ctl, ["reconcile"] + common)
            #expect(again.status == 0 && again.stdout == "nothing to do\n", "\(again.stdout)\(again.stderr)")

            let bad = try daemon.folder.write("bad.yaml", "groups: [{adress: 1}]\n")
            let refused = try runTool(ctl, ["reconcile", bad, "--socket", daemon.controlSocket])
            #expect(refused.status == 2 && refused.stderr.contains("unknown key adress"), "\(refused.stderr)")
        }
    }
}
