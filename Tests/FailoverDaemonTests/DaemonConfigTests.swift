import Testing

@testable import FailoverDaemon

@Suite struct DaemonConfigTests {
    @Test func emptyFileGivesTheDefaults() throws {
        let config = try DaemonConfig.parse(yaml: "", source: "x.yaml")
        #expect(config.listen.map(\.description) == ["127.0.0.1:5353", "[::1]:5353"])
        #expect(config.origin.description == "cloud66.net.")
        #expect(config.zoneFile == nil)
        #expect(config.ttl == 30)
        #expect(config.udpBatchWaitMicroseconds == 1_000)
        #expect(config.udpReceiveBuffer == 4 << 20)
    }

    @Test func readsEveryKey() throws {
        let config = try DaemonConfig.parse(yaml: """
            listen: ["0.0.0.0:53", "[::]:53"]
            zone:
              origin: example.org
              file: zones/example.org.zone
            ttl: 20
            switch-delay: 0
            state-dir: /tmp/state
            control:
              socket: /tmp/c.sock
              allow-users: [root, deploy]
              allow-groups: []
            udp:
              workers: 3
              batch-wait-us: 250
              receive-buffer: 1048576
            tcp:
              idle-timeout: 4
              message-timeout: 2
              max-connections: 10
            log-level: debug
            """, source: "x.yaml", baseDirectory: "/etc/failoverd")
        #expect(config.listen.map(\.description) == ["0.0.0.0:53", "[::]:53"])
        #expect(config.origin.description == "example.org.")
        #expect(config.zoneFile == "/etc/failoverd/zones/example.org.zone")
        #expect(config.ttl == 20 && config.switchDelay == 0)
        #expect(config.controlAllowUsers == ["root", "deploy"])
        #expect(config.udpWorkers == 3 && config.tcpMaxConnections == 10)
        #expect(config.udpBatchWaitMicroseconds == 250 && config.udpReceiveBuffer == 1 << 20)
        #expect(config.logLevel == "debug")
    }

    @Test(arguments: [
        ("listen: 5353", "listen"),
        ("listen: [\"localhost:53\"]", "not an IPv4 or IPv6"),
        ("listen: [\"127.0.0.1\"]", "HOST:PORT"),
        ("listen: [\"127.0.0.1:99999\"]", "bad port"),
        ("ttl: 0", "ttl"),
        ("ttl: abc", "ttl"),
        ("zone: {origin: \"a..b\"}", "zone.origin"),
        ("zone: {orign: x}", "unknown key 'zone.orign'"),
        ("lisen: []", "unknown key 'lisen'"),
        ("- a\n- b", "top level"),
        ("log-level: loud", "log-level"),
        ("tcp: {max-connections: 0}", "tcp.max-connections"),
        ("udp: {batch-wait-us: 10001}", "udp.batch-wait-us"),
        ("udp: {batch-wait-us: -1}", "udp.batch-wait-us"),
        ("udp: {receive-buffer: 4096}", "udp.receive-buffer"),
        ("udp: {receive-buffer: 268435457}", "udp.receive-buffer"),
        ("udp: {receive-buffer: big}", "udp.receive-buffer"),
        ("udp: {batch-wait: 5}", "unknown key 'udp.batch-wait'"),
        ("key: [unclosed", "not valid YAML"),
        ("control: {max-connections: 0}", "'control.max-connections' must be 1 to 10000"),
        ("control: {allow-users: root}", "'control.allow-users' must be a list of user names"),
        ("control: 5", "'control' must be a mapping"),
        ("cookies: {secret: abc}", "'cookies.secret' must be 32 hex digits"),
        ("cookies: {secret: 0123456789abcdef0123456789abcdeg}", "'cookies.secret' must be 32 hex digits"),
        ("cookies: {enabled: maybe}", "'cookies.enabled' must be true or false"),
        ("cookies: {rotation: 5}", "'cookies.rotation' must be seconds, at least 60"),
        ("rrl: {exempt: [\"not-a-prefix\"]}", "rrl.exempt: 'not-a-prefix' is not an address or prefix"),
        ("rrl: {slip: 101}", "'rrl.slip' must be 0 to 100"),
        ("tcp: {idle-timeout: 0}", "'tcp.idle-timeout' must be seconds, above 0"),
        ("switch-delay: -1", "'switch-delay' must be seconds, 0 to 604800"),
        ("transfer: {allow: [{address: nowhere}]}", "transfer.allow: 'nowhere' is not an address or prefix"),
    ])
    func badConfigsAreRejectedWithAClearMessage(yaml: String, fragment: String) {
        do {
            _ = try DaemonConfig.parse(yaml: yaml, source: "bad.yaml")
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.description.hasPrefix("bad.yaml") || error.description.contains("listen address"))
            #expect(error.description.contains(fragment), "\(error)")
        }
    }

    @Test("An error about a key names the key's line in the file")
    func errorsNameTheLine() {
        let yaml = """
            # comment
            ttl: 30
            control:
              socket: /tmp/x.sock
              alow-users: [root]
            udp:
              batch-wait-us: 99999
            """
        do {
            _ = try DaemonConfig.parse(yaml: yaml, source: "f.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.description.hasPrefix("f.yaml:5: unknown key 'control.alow-users'"), "\(error)")
        }
        let range = yaml.replacingOccurrences(of: "  alow-users: [root]\n", with: "")
        do {
            _ = try DaemonConfig.parse(yaml: range, source: "f.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.description.hasPrefix("f.yaml:6: 'udp.batch-wait-us'"), "\(error)")
        }
        do {
            _ = try DaemonConfig.parse(yaml: "ttl: 3\nkey: [unclosed\n", source: "f.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.description.hasPrefix("f.yaml:3: not valid YAML"), "\(error)")
        }
        #expect(ConfigError.line(of: ["lisen"], in: "ttl: 3\nlisen: []\n") == 2)
        #expect(ConfigError.line(of: ["nothing"], in: "ttl: 3\n") == nil)
    }

    @Test("A TSIG secret shorter than the hash output is refused, naming the key and the minimum")
    func shortTSIGSecret() throws {
        func keys(_ algorithm: String, _ secret: String) -> String {
            "tsig-keys:\n  - {name: xfr, algorithm: \(algorithm), secret: \"\(secret)\"}\n"
        }
        let sixteen = "MDEyMzQ1Njc4OWFiY2RlZg=="  // 16 bytes
        let thirtyTwo = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I="  // 32 bytes
        #expect(throws: ConfigError("f.yaml: tsig key 'xfr': the secret is 16 bytes; hmac-sha256 needs at least 32 "
                                    + "(RFC 8945 section 6; e.g. from tsig-keygen -a hmac-sha256)")) {
            try DaemonConfig.parse(yaml: keys("hmac-sha256", sixteen), source: "f.yaml")
        }
        do {
            _ = try DaemonConfig.parse(yaml: keys("hmac-sha512", thirtyTwo), source: "f.yaml")
            Issue.record("a 32-byte hmac-sha512 secret was accepted")
        } catch {
            #expect(error.description.contains("tsig key 'xfr'") && error.description.contains("at least 64"), "\(error)")
        }
        let accepted = try DaemonConfig.parse(yaml: keys("hmac-sha256", thirtyTwo), source: "f.yaml")
        #expect(accepted.transfer.keys.map(\.secret.count) == [32])
    }
}
