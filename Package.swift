// swift-tools-version:6.1
import PackageDescription

// Layers, lowest first; each target imports only those above it in this list.
//   DNSWire        the DNS message format (pure Swift, no Foundation)
//   ZoneData       static zone (libldns loader) and the immutable answer snapshot
//   QueryEngine    bytes in, bytes out: one query to one response
//   FailoverCore   apps, groups, switches: validation, mutations, durable journal
//   FailoverControl the control protocol (JSON lines), shared by daemon and failoverctl
//   FailoverDaemon config, transports (UDP, TCP), logging, lifecycle
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
    ],
    targets: [
        .systemLibrary(name: "CLDNS", pkgConfig: "ldns", providers: [.apt(["libldns-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .target(name: "CNetShim"),
        .target(name: "DNSWire"),
        .target(name: "ZoneData", dependencies: ["DNSWire", "CLDNS"]),
        .target(name: "QueryEngine", dependencies: ["DNSWire", "ZoneData"]),
        .target(name: "FailoverCore"),
        .target(name: "FailoverControl"),
        .target(
            name: "FailoverDaemon",
            dependencies: [
                "DNSWire", "ZoneData", "QueryEngine", "FailoverCore", "FailoverControl", "CNetShim", "CSystemd",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "failoverd",
            dependencies: [
                "FailoverDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "failoverctl",
            dependencies: [
                "FailoverControl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmark tooling (Benchmarks/run): writes the state, zone and query files for N groups.
        .executableTarget(name: "failoverd-bench-state", dependencies: ["FailoverCore"],
                          path: "Benchmarks/failoverd-bench-state"),
        // Test support: counts this thread's heap allocations (the hot-path allocation check).
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
        .testTarget(name: "DNSWireTests", dependencies: ["DNSWire"]),
        .testTarget(name: "ZoneDataTests", dependencies: ["ZoneData", "DNSWire"]),
        .testTarget(name: "QueryEngineTests", dependencies: ["QueryEngine", "ZoneData", "DNSWire", "CMallocCounter"]),
        .testTarget(
            name: "FailoverDaemonTests",
            dependencies: [
                "FailoverDaemon", "DNSWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "FailoverCoreTests", dependencies: ["FailoverCore"]),
        .testTarget(name: "FailoverControlTests", dependencies: ["FailoverControl"]),
        .testTarget(name: "IntegrationTests", dependencies: ["DNSWire", "FailoverControl"]),
    ]
)
