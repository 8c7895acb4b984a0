// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for the decoders that meet untrusted bytes. Built only by scripts/fuzz
// (with -sanitize=fuzzer), never by the main package's build.
let package = Package(
    name: "bms-tunnel-fuzz",
    dependencies: [
        .package(name: "bms-tunnel", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
    ],
    targets: [
        // Runs libFuzzer's driver with a target's entry point.
        .target(name: "FuzzDriver"),
        .executableTarget(
            name: "FuzzG1",
            dependencies: [
                "FuzzDriver",
                .product(name: "SharedWire", package: "bms-tunnel"), .product(name: "AgentConfig", package: "bms-tunnel"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "FuzzTunnelFrames",
            dependencies: [
                "FuzzDriver",
                .product(name: "SharedWire", package: "bms-tunnel"), .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "FuzzRFC2217",
            dependencies: [
                "FuzzDriver",
                .product(name: "SharedWire", package: "bms-tunnel"), .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "FuzzProxyHeader",
            dependencies: [
                "FuzzDriver",
                .product(name: "SharedWire", package: "bms-tunnel"), .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "FuzzConfig",
            dependencies: [
                "FuzzDriver",
                .product(name: "AgentConfig", package: "bms-tunnel"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
