// swift-tools-version:6.1
import PackageDescription

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
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        // Every wire format. Pure: no sockets, no files, no clocks.
        .target(
            name: "SharedWire",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        // I/O shared by the programs: TLS, PTYs and serial ports, frame channel handlers.
        .target(
            name: "TunnelPlumbing",
            dependencies: [
                "SharedWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "TunnelRelay",
            dependencies: [
                "SharedWire", "TunnelPlumbing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "TunnelAgent",
            dependencies: [
                "SharedWire", "TunnelPlumbing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "TunnelConnect",
            dependencies: [
                "SharedWire", "TunnelPlumbing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "BMSSimulator",
            dependencies: [
                "SharedWire", "TunnelPlumbing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // A whole tunnel on loopback in one process, for the tests and the benchmarks.
        .target(
            name: "TunnelHarness",
            dependencies: [
                "SharedWire", "TunnelPlumbing", "TunnelRelay", "TunnelAgent",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(name: "tunnel-relay", dependencies: ["TunnelRelay", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "tunnel-agent", dependencies: ["TunnelAgent", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "tunnel-connect", dependencies: ["TunnelConnect", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "bms-sim", dependencies: ["BMSSimulator", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "tunnel-bench",
            dependencies: [
                "SharedWire", "TunnelPlumbing", "TunnelRelay", "TunnelAgent", "TunnelHarness",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "SharedWireTests",
            dependencies: [
                "SharedWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "TunnelEndToEndTests",
            dependencies: [
                "SharedWire", "TunnelPlumbing", "TunnelRelay", "TunnelAgent", "TunnelConnect", "BMSSimulator", "TunnelHarness",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
