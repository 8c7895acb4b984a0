// swift-tools-version:6.1
import PackageDescription

// Dependency groups the targets share.
let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
]
let tls: [Target.Dependency] = [.product(name: "NIOSSL", package: "swift-nio-ssl")]
let certificates: [Target.Dependency] = [
    .product(name: "X509", package: "swift-certificates"),
    .product(name: "Crypto", package: "swift-crypto"),
    .product(name: "_CryptoExtras", package: "swift-crypto"),
]
let service: [Target.Dependency] = [
    .product(name: "ArgumentParser", package: "swift-argument-parser"),
    .product(name: "Logging", package: "swift-log"),
    .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
]

let package = Package(
    name: "bms-tunnel",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tunnel-relay", targets: ["tunnel-relay"]),
        .executable(name: "tunnel-agent", targets: ["tunnel-agent"]),
        .executable(name: "tunnel-connect", targets: ["tunnel-connect"]),
        .executable(name: "bms-sim", targets: ["bms-sim"]),
        .executable(name: "tunnel-bench", targets: ["tunnel-bench"]),
        .library(name: "SharedWire", targets: ["SharedWire"]),
        // For the fuzz targets in Fuzz/ (the agent's configuration check and telemetry decoders).
        .library(name: "AgentConfig", targets: ["AgentConfig"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // The console's password hashes (bcrypt) and its HTML templates (escape by default).
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // Every wire format. Pure: no sockets, no files, no clocks.
        .target(name: "SharedWire", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        // libmosquitto (Debian libmosquitto-dev), and the one Swift type that owns it.
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto", providers: [.apt(["libmosquitto-dev"])]),
        .target(name: "Mosquitto", dependencies: ["CMosquitto"]),
        // Serial ports and PTYs: termios, modem lines, exclusive opening. Glibc only.
        .target(name: "SerialIO", dependencies: ["SharedWire"]),
        // TLS policy (versions, suites, verification) and PEM files, for every TLS endpoint.
        .target(
            name: "TunnelPKI",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"), .product(name: "X509", package: "swift-certificates")] + tls),
        // The tunnel's connections: frame codec handlers, keepalive, HELLO exchange, the dialler,
        // the serial bridge, going-away, session captures.
        .target(
            name: "TunnelTransport",
            dependencies: [
                "SharedWire", .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ] + nio + tls),
        // What every program's entry point shares: async command start, logging, option values.
        .target(
            name: "ProgramSupport",
            dependencies: [
                "SharedWire", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "TunnelRelay",
            dependencies: [
                "SharedWire", "TunnelTransport", "TunnelPKI", "ProgramSupport", .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"), .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
            ] + nio + tls + certificates + service,
            // The web console's templates, stylesheet and script, compiled into the binary: the
            // Debian package installs only the binary.
            resources: [
                .embedInCode("Console/Templates"),
                .embedInCode("Console/Assets"),
            ]
        ),
        // The admin API's HTTPS client, for the programs that call it.
        .target(
            name: "AdminClient",
            dependencies: [
                "TunnelPKI", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ] + nio + tls),
        // The agent's configuration (settings.json, params_config.json: model, checks, the
        // portal's rules) and the telemetry decoders params_config.json drives. Pure: no I/O
        // beyond reading the files it is given.
        .target(name: "AgentConfig", dependencies: ["SharedWire"], resources: [.copy("Resources/params_config.json")]),
        .target(
            name: "TunnelAgent",
            dependencies: [
                "SharedWire", "AgentConfig", "SerialIO", "TunnelTransport", "TunnelPKI", "ProgramSupport", "AdminClient", "Mosquitto",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTLS", package: "hummingbird"),
            ] + nio + tls + service),
        .target(
            name: "TunnelConnect",
            dependencies: ["SharedWire", "SerialIO", "TunnelTransport", "TunnelPKI", "ProgramSupport", "AdminClient"] + nio + tls + service),
        .target(name: "BMSSimulator", dependencies: ["SharedWire", "SerialIO", "TunnelTransport", "ProgramSupport"] + nio + service),
        // A whole tunnel on loopback in one process, for the tests and the benchmarks.
        .target(
            name: "TunnelHarness",
            dependencies: ["SharedWire", "TunnelTransport", "TunnelPKI", "TunnelRelay", "AgentConfig", "TunnelAgent", "Mosquitto"]
                + nio + tls + certificates + service
        ),
        // The programs: each main.swift only starts its library's command.
        .executableTarget(name: "tunnel-relay", dependencies: ["TunnelRelay", "ProgramSupport"]),
        .executableTarget(name: "tunnel-agent", dependencies: ["TunnelAgent", "ProgramSupport"]),
        .executableTarget(name: "tunnel-connect", dependencies: ["TunnelConnect", "ProgramSupport"]),
        .executableTarget(name: "bms-sim", dependencies: ["BMSSimulator", "ProgramSupport"]),
        .executableTarget(
            name: "tunnel-bench",
            dependencies: [
                "SharedWire", "SerialIO", "TunnelTransport", "TunnelPKI", "ProgramSupport", "TunnelRelay", "AgentConfig", "TunnelAgent",
                "TunnelHarness", "Mosquitto",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ] + nio + tls + service
        ),
        // What every test suite shares: a missing real peer fails under CI and skips elsewhere.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // libmosquitto against a real mosquitto broker.
        .testTarget(name: "MosquittoTests", dependencies: ["Mosquitto", "TunnelHarness", "TestSupport"] + certificates),
        // The agent's rules: acquisition, queue, uplink, certificate renewal (the broker itself: Tests/system).
        .testTarget(name: "AgentUplinkTests", dependencies: ["TunnelAgent", "AgentConfig", "SharedWire"] + nio),
        // The configuration files and the decoders; links neither libmosquitto nor NIO's sockets.
        .testTarget(name: "AgentConfigTests", dependencies: ["AgentConfig", "SharedWire", "TestSupport"]),
        .testTarget(
            name: "SharedWireTests",
            dependencies: ["SharedWire", .product(name: "NIOTestUtils", package: "swift-nio")] + nio
        ),
        .testTarget(
            name: "BMSSimulatorTests",
            dependencies: ["BMSSimulator", "SharedWire", "SerialIO", .product(name: "NIOTestUtils", package: "swift-nio")]
                + nio + service
        ),
        // The store contract, run against SQLite and against a PostgreSQL server (TEST_DATABASE_URL).
        .testTarget(
            name: "RelayStoreTests",
            dependencies: [
                "TunnelRelay", "SharedWire", "TestSupport", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ] + nio + certificates + service
        ),
        .testTarget(
            name: "TunnelEndToEndTests",
            dependencies: [
                "SharedWire", "SerialIO", "TunnelTransport", "TunnelPKI", "TunnelRelay", "AgentConfig", "TunnelAgent", "TunnelConnect",
                "BMSSimulator",
                "TunnelHarness", .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ] + nio + tls + certificates + service
        ),
    ],
    swiftLanguageModes: [.v6]
)
