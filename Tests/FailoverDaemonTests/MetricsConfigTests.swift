import Testing

@testable import FailoverDaemon

@Suite struct MetricsConfigTests {
    @Test func metricsAreOffWithoutTheKey() throws {
        #expect(try DaemonConfig.parse(yaml: "ttl: 30", source: "x.yaml").metricsListen == nil)
        #expect(try DaemonConfig.parse(yaml: "metrics: {}", source: "x.yaml").metricsListen == nil)
    }

    @Test func metricsListenIsReadAsAnAddress() throws {
        let config = try DaemonConfig.parse(yaml: "metrics:\n  listen: \"127.0.0.1:9153\"", source: "x.yaml")
        #expect(config.metricsListen?.description == "127.0.0.1:9153")
        let six = try DaemonConfig.parse(yaml: "metrics: {listen: \"[::1]:9153\"}", source: "x.yaml")
        #expect(six.metricsListen?.description == "[::1]:9153")
    }

    @Test(arguments: [
        ("metrics: 9153", "'metrics' must be a mapping"),
        ("metrics: {listen: [\"127.0.0.1:9153\"]}", "'metrics.listen' must be one HOST:PORT"),
        ("metrics: {listen: \"localhost:9153\"}", "metrics.listen: listen address 'localhost:9153'"),
        ("metrics: {listen: \"127.0.0.1\"}", "HOST:PORT"),
        ("metrics: {listen: \"127.0.0.1:70000\"}", "bad port"),
        ("metrics: {port: 9153}", "unknown key 'metrics.port'"),
    ])
    func badMetricsConfigsAreRejected(yaml: String, fragment: String) {
        do {
            _ = try DaemonConfig.parse(yaml: yaml, source: "x.yaml")
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.description.contains(fragment), "\(error.description)")
            // "x.yaml:LINE: ..." when the key is in the file, else "x.yaml: ...".
            #expect(error.description.hasPrefix("x.yaml:"), "\(error.description)")
        }
    }

    @Test(arguments: [
        ("127.0.0.1:1", true), ("127.8.9.10:1", true), ("[::1]:1", true), ("[0:0:0:0:0:0:0:1]:1", true),
        ("[::ffff:127.0.0.1]:1", true), ("0.0.0.0:1", false), ("192.0.2.1:1", false), ("[::]:1", false),
        ("[2001:db8::1]:1", false), ("128.0.0.1:1", false),
    ])
    func loopbackAddressesAreRecognised(text: String, loopback: Bool) throws {
        #expect(try ListenAddress(parsing: text).isLoopback == loopback)
    }
}
