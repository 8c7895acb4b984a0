import Foundation
import Logging
import ServiceLifecycle
import XCTest

@testable import TunnelRelay

/// docs/openapi.json describes exactly the routes the admin API serves: the same paths with
/// the same methods, no more, no fewer.
final class AdminRouteDocumentTests: XCTestCase {
    func testTheDocumentAndTheServedRoutesAgree() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("admin-doc-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try RelayCredentials(dataDirectory: directory).create(hostnames: ["127.0.0.1"])
        let configuration = RelayConfiguration(listenHost: "127.0.0.1", listenPort: 0, dataDirectory: directory)
        let store = try await SQLiteRelayStore.open(path: configuration.storePath)
        let relay = try RelayServer(configuration: configuration, store: store)
        // Run briefly: a relay that never ran would leave its listener promise unfulfilled.
        let group = ServiceGroup(configuration: .init(services: [relay], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        _ = try await relay.boundAddress
        let routes = AdminRoutes(
            store: store, relay: relay, metrics: relay.metrics, publicAddress: "127.0.0.1:7443",
            limiter: .init(SourceLimiter(configuration: .init())))
        let served = Set(
            routes.endpoints.map {
                "\($0.method.rawValue) \($0.path.replacing(/:(\w+)/) { "{\($0.output.1)}" })"
            })
        await group.triggerGracefulShutdown()
        try await running.value
        try await store.close()

        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/openapi.json")
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let paths = try XCTUnwrap(document["paths"] as? [String: [String: Any]])
        let documented = Set(paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(path)" } })
        XCTAssertEqual(served.subtracting(documented).sorted(), [], "served but not documented")
        XCTAssertEqual(documented.subtracting(served).sorted(), [], "documented but not served")
        XCTAssertEqual(served.count, 23)
    }
}
