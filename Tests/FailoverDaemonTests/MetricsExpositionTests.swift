@testable import FailoverApplication
import DNSWire
import FailoverCore
@testable import QueryEngine
import Testing

@testable import FailoverDaemon

@Suite struct MetricsExpositionTests {
    func answered(_ type: RecordType, _ rcode: ResponseCode, truncated: Bool = false) -> QueryOutcome {
        QueryOutcome(disposition: .answered, length: 12, rcode: rcode, queryType: type, truncated: truncated)
    }

    /// Lines of the exposition that are samples (not HELP or TYPE).
    func samples(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
    }

    @Test func countsAreSummedOverStripesAndBucketedByTypeAndRcode() {
        let counters = QueryCounters()
        for stripe in 0..<40 { counters.record(answered(.a, .noError), transport: .udp, stripe: stripe) }
        counters.record(answered(.aaaa, .nxDomain), transport: .udp, stripe: 3)
        counters.record(answered(RecordType(99), .noError), transport: .tcp, stripe: QueryCounters.tcpStripe)
        counters.record(answered(.hinfo, .refused), transport: .tcp, stripe: QueryCounters.tcpStripe)
        counters.record(answered(.any, ResponseCode(rawValue: 3841)), transport: .udp, stripe: 1)
        counters.record(answered(.txt, .noError, truncated: true), transport: .udp, stripe: 2)
        counters.record(.dropped, transport: .udp, stripe: 0)

        let totals = counters.totals()
        #expect(totals.queries(transport: .udp, type: .a, rcode: .noError) == 40)
        #expect(totals.queries(transport: .tcp, type: .a, rcode: .noError) == 0)
        #expect(totals.queries(transport: .udp, type: .aaaa, rcode: .nxDomain) == 1)
        // Types without a bucket of their own share `other`.
        #expect(totals.queries(transport: .tcp, typeBucket: 11, rcode: 0) == 1)
        #expect(totals.queries(transport: .tcp, typeBucket: 11, rcode: 5) == 1)
        // RCODEs past 23 share the last slot.
        #expect(totals.queries(transport: .udp, typeBucket: 10, rcode: QueryCounters.rcodeCount - 1) == 1)
        #expect(totals.truncated(transport: .udp) == 1)
        #expect(totals.truncated(transport: .tcp) == 0)
    }

    @Test func everyBucketedTypeMapsToItsName() {
        let types: [(RecordType, String)] = [
            (.a, "A"), (.aaaa, "AAAA"), (.cname, "CNAME"), (.soa, "SOA"), (.ns, "NS"), (.mx, "MX"), (.txt, "TXT"),
            (.srv, "SRV"), (.ptr, "PTR"), (.caa, "CAA"), (.any, "ANY"), (.ds, "other"), (RecordType(65), "other"),
        ]
        for (type, name) in types {
            #expect(QueryCounters.typeNames[QueryCounters.typeIndex(type)] == name, "\(type)")
        }
    }

    @Test func servingExpositionListsSeenCombinationsDropsAndTruncations() {
        let counters = ServingCounters()
        for _ in 0..<7 { counters.queries.record(answered(.a, .noError), transport: .udp, stripe: 0) }
        for _ in 0..<3 { counters.queries.record(answered(.a, .nxDomain), transport: .udp, stripe: 1) }
        for _ in 0..<2 {
            counters.queries.record(answered(.soa, .noError), transport: .tcp, stripe: QueryCounters.tcpStripe)
        }
        counters.queries.record(answered(.txt, .noError, truncated: true), transport: .udp, stripe: 0)
        counters.queries.record(answered(.mx, ResponseCode(rawValue: 16)), transport: .udp, stripe: 0)
        counters.recordUDP(answered: 13, dropped: 5)
        counters.tcpDropped.wrappingIncrement(ordering: .relaxed)

        let text = MetricsExporter.servingExposition(counters)
        #expect(samples(text) == [
            #"failoverd_dns_queries_total{transport="udp",qtype="A",rcode="NOERROR"} 7"#,
            #"failoverd_dns_queries_total{transport="udp",qtype="A",rcode="NXDOMAIN"} 3"#,
            #"failoverd_dns_queries_total{transport="udp",qtype="MX",rcode="BADVERS"} 1"#,
            #"failoverd_dns_queries_total{transport="udp",qtype="TXT",rcode="NOERROR"} 1"#,
            #"failoverd_dns_queries_total{transport="tcp",qtype="SOA",rcode="NOERROR"} 2"#,
            #"failoverd_dns_dropped_total{transport="udp"} 5"#,
            #"failoverd_dns_dropped_total{transport="tcp"} 1"#,
            "failoverd_dns_truncated_total 1",
            "failoverd_tcp_connections_refused_total 0",
            "failoverd_rrl_limited_total{action=\"dropped\"} 0", "failoverd_rrl_limited_total{action=\"slipped\"} 0",
        ])
        let families = ["dns_queries_total", "dns_dropped_total", "dns_truncated_total", "tcp_connections_refused_total"]
        for family in families {
            #expect(text.contains("# TYPE failoverd_\(family) counter\n"), "\(family)")
            #expect(text.contains("# HELP failoverd_\(family) "), "\(family)")
        }
        #expect(text.hasSuffix("\n"))
    }

    @Test func anIdleServerShowsZeroCountsAndNoQuerySamples() {
        let text = MetricsExporter.servingExposition(ServingCounters())
        #expect(samples(text) == [
            #"failoverd_dns_dropped_total{transport="udp"} 0"#,
            #"failoverd_dns_dropped_total{transport="tcp"} 0"#,
            "failoverd_dns_truncated_total 0",
            "failoverd_tcp_connections_refused_total 0",
            "failoverd_rrl_limited_total{action=\"dropped\"} 0", "failoverd_rrl_limited_total{action=\"slipped\"} 0",
        ])
    }

    @Test func renderAddsGaugesAndServiceEvents() async throws {
        let counters = ServingCounters()
        counters.queries.record(answered(.a, .noError), transport: .udp, stripe: 0)
        let exporter = MetricsExporter(counters: counters) {
            MetricsExporter.State(apps: 2, groups: 5, pendingSwitches: 1, serial: 2024010107, tcpConnections: 3)
        }
        let metrics = exporter.serviceMetrics
        metrics.controlRequest(op: "group.switch", result: "ok")
        metrics.controlRequest(op: "group.switch", result: "ok")
        metrics.controlRequest(op: "app.get", result: "not_found")
        metrics.journalSynced(.microseconds(700))
        _ = metrics.measureSnapshotBuild { 42 }
        let group = Group(address: try #require(GroupAddress(value: 123_456_789)), primary: try AppID("a"),
                          backup: try AppID("b"), created: 0, updated: 0)
        metrics.record([.switchScheduled(group), .switchDone(group, reason: .manual), .switchDone(group, reason: .health), .groupDeleted(group.address)])

        let text = String(decoding: await exporter.render(), as: UTF8.self)
        let lines = Set(samples(text))
        for expected in [
            "failoverd_apps 2.0", "failoverd_groups 5.0", "failoverd_pending_switches 1.0",
            "failoverd_zone_serial 2024010107.0", "failoverd_tcp_connections 3.0",
            #"failoverd_control_requests_total{op="group.switch",result="ok"} 2"#,
            #"failoverd_control_requests_total{op="app.get",result="not_found"} 1"#,
            #"failoverd_switches_total{event="scheduled"} 1"#,
            #"failoverd_switches_total{event="done"} 2"#,
            #"failoverd_switches_total{event="cancelled"} 0"#,
            #"failoverd_journal_fsync_seconds_bucket{le="0.0005"} 0"#,
            #"failoverd_journal_fsync_seconds_bucket{le="0.001"} 1"#,
            "failoverd_journal_fsync_seconds_count 1",
            "failoverd_journal_fsync_seconds_sum 0.0007",
            "failoverd_snapshot_build_seconds_count 1",
            #"failoverd_dns_queries_total{transport="udp",qtype="A",rcode="NOERROR"} 1"#,
        ] {
            #expect(lines.contains(expected), "missing \(expected) in\n\(text)")
        }
        #expect(text.contains("# TYPE failoverd_journal_fsync_seconds histogram\n"))
        #expect(text.contains("# TYPE failoverd_switches_total counter\n"))
    }

    @Test func disabledServiceMetricsAcceptEverything() {
        let metrics = ServiceMetrics.disabled
        metrics.controlRequest(op: "stats", result: "ok")
        metrics.journalSynced(.milliseconds(1))
        #expect(metrics.measureSnapshotBuild { 7 } == 7)
    }

    @Test func durationNanosecondsSaturate() {
        #expect(Duration.microseconds(1500).nanoseconds == 1_500_000)
        #expect(Duration.seconds(Int64.max).nanoseconds == .max)
    }

    @Test func kernelDropsAreSummedForOurSocketsOnly() {
        let text = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
            11578: 0100007F:B297 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 648751 2 000000005b006fa4 17
            11579: 0100007F:B297 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 648752 2 000000005b006fa5 5
            11580: 0100007F:0035 00000000:0000 07 00000000:00034000 00:00000000 00000000     0        0 999999 2 000000005b006fa6 1000
            """
        #expect(UDPServer.drops(inProcNetUDP: text, inodes: [648751, 648752]) == 22)
        #expect(UDPServer.drops(inProcNetUDP: text, inodes: []) == 0)
        #expect(MetricsExporter.kernelDropsExposition(22).hasSuffix("failoverd_udp_receive_buffer_drops_total 22\n"))
    }
}
