// swift-tools-version:6.1
import PackageDescription

// Layers, lowest first; each target imports only those above it in this list.
//   DNSWire        the DNS message format (pure Swift, no Foundation)
//   ZoneData       static zone (libldns loader) and the immutable answer snapshot
//   QueryEngine    bytes in, bytes out: one query to one response
//   ZoneTransfer   AXFR/IXFR rendering, the change log, TSIG (swift-crypto), TSIG-signed queries
//   DNSSEC         signing keys, DNSKEY/DS, RRSIGs over canonical RRsets (swift-crypto); not wired in yet
//   FailoverCore   apps, groups, switches: validation, mutations, durable journal
//   FailoverControl the control protocol (JSON lines), shared by daemon and failoverctl
//   FailoverApplication the application: the failover service (commits, durability, publishing
//                  snapshots), the switch scheduler, the control dispatcher; no NIO, no systemd
//   FailoverDaemon the process: configuration, transports (UDP, TCP, control, metrics, NOTIFY),
//                  systemd, logging, lifecycle
//   failoverd, failoverctl  the executables
let package = Package(
    name: "failoverd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "failoverd", targets: ["failoverd"]),
        .executable(name: "failoverctl", targets: ["failoverctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        .systemLibrary(name: "CLDNS", pkgConfig: "ldns", providers: [.apt(["libldns-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .target(name: "CNetShim"),
        .target(name: "DNSWire"),
        .target(name: "ZoneData", dependencies: ["DNSWire", "CLDNS"]),
        .target(name: "QueryEngine", dependencies: ["DNSWire", "ZoneData"]),
        .target(
            name: "ZoneTransfer",
            dependencies: [
                "DNSWire", "ZoneData", "QueryEngine", "DNSSEC", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .target(name: "DNSSEC", dependencies: ["DNSWire", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "CCRC32C"),
        .target(name: "FailoverCore", dependencies: ["DNSWire", "CCRC32C"]),
        .target(name: "FailoverControl"),
        .target(
            name: "FailoverApplication",
            dependencies: [
                "DNSWire", "ZoneData", "FailoverCore", "FailoverControl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .target(
            name: "FailoverDaemon",
            dependencies: [
                "DNSWire", "ZoneData", "QueryEngine", "ZoneTransfer", "FailoverCore", "FailoverControl", "CNetShim",
                "FailoverApplication",
                "CSystemd",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "failoverd",
            dependencies: [
                "FailoverDaemon", "FailoverApplication",
                "CNetShim",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "failoverctl",
            dependencies: [
                "FailoverControl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Benchmark tooling (Benchmarks/run): writes the state, zone and query files for N groups.
        .executableTarget(name: "failoverd-bench-state", dependencies: ["FailoverCore"],
                          path: "Benchmarks/failoverd-bench-state"),
        // Test support: counts this thread's heap allocations (the hot-path allocation check).
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
        // Test support shared by the test targets (a seeded random generator).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "DNSWireTests", dependencies: ["DNSWire"]),
        .testTarget(name: "ZoneDataTests", dependencies: ["ZoneData", "DNSWire", "TestSupport"]),
        .testTarget(
            name: "QueryEngineTests",
            dependencies: ["QueryEngine", "ZoneData", "DNSWire", "CMallocCounter", "TestSupport"]
        ),
        .testTarget(
            name: "FailoverDaemonTests",
            dependencies: [
                "FailoverDaemon", "FailoverApplication", "DNSWire", "QueryEngine", "FailoverCore", "ZoneData",
                "TestSupport", "CNetShim",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "FailoverApplicationTests",
            dependencies: ["FailoverApplication", "FailoverCore", "FailoverControl", "DNSWire", "ZoneData", "TestSupport"]
        ),
        .testTarget(name: "FailoverCoreTests", dependencies: ["FailoverCore", "DNSWire", "CCRC32C", "TestSupport"]),
        .testTarget(name: "DNSSECTests", dependencies: ["DNSSEC", "DNSWire", "CLDNS", "ZoneData", "ZoneTransfer"]),
        .testTarget(name: "ZoneTransferTests", dependencies: ["ZoneTransfer", "ZoneData", "DNSWire", "QueryEngine"]),
        .testTarget(name: "FailoverControlTests", dependencies: ["FailoverControl", "TestSupport"]),
        .testTarget(name: "IntegrationTests", dependencies: ["DNSWire", "FailoverControl", "TestSupport", "ZoneTransfer"]),
        // The fuzz targets' checks (shared with Fuzz/run) and the replay of every input they crashed on.
        .testTarget(
            name: "FuzzRegressionTests",
            dependencies: ["DNSWire", "ZoneData", "QueryEngine", "ZoneTransfer", "FailoverControl", "FailoverCore",
                           "TestSupport", .product(name: "Crypto", package: "swift-crypto")]
        ),
    ]
)
