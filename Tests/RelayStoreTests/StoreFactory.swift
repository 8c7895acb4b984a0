import Foundation
import Logging
import NIOPosix
import PostgresNIO
import SQLiteNIO

@testable import TunnelRelay

/// Opens handles on one test's database. Each `open()` is a new, independent handle, the way
/// a second relay process (or the operator's CLI) opens the same store.
protocol StoreFactory: Sendable {
    func open() async throws -> any RelayStore

    /// Runs `sql` on the database directly, past the store, as an operator's own client would
    /// (to write rows the store never writes).
    func execute(_ sql: String) async throws

    /// Moves every node's heartbeat `seconds` into the past, past the store, as a node that
    /// stopped heartbeating that long ago would have left it.
    func ageNodeHeartbeats(bySeconds seconds: Int) async throws
}

/// Handles the factories opened, closed at the end of a test.
actor OpenStores {
    private var stores: [any RelayStore] = []

    func add(_ store: any RelayStore) { stores.append(store) }

    func closeAll() async {
        for store in stores { try? await store.close() }
        stores = []
    }
}

/// A SQLite file in a fresh temporary folder.
struct SQLiteStoreFactory: StoreFactory {
    let directory: String
    let opened = OpenStores()

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    var path: String { directory + "/relay.sqlite" }

    func open() async throws -> any RelayStore {
        let store = try await SQLiteRelayStore.open(path: path)
        await opened.add(store)
        return store
    }

    func execute(_ sql: String) async throws {
        let connection = try await SQLiteConnection.open(
            storage: .file(path: path), threadPool: .singleton, on: MultiThreadedEventLoopGroup.singleton.any())
        do {
            _ = try await connection.query(sql, [])
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    func ageNodeHeartbeats(bySeconds seconds: Int) async throws {
        try await execute("UPDATE nodes SET heartbeat_at = heartbeat_at - \(seconds * 1000)")
    }

    func tearDown() async {
        await opened.closeAll()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A fresh database on the PostgreSQL server `TEST_DATABASE_URL` names, dropped afterwards.
struct PostgresStoreFactory: StoreFactory {
    let serverURL: String
    let databaseURL: String
    let database: String
    let opened = OpenStores()

    static func make(serverURL: String) async throws -> PostgresStoreFactory {
        let database = "relay_test_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        try await Self.onServer(serverURL) { try await $0.query("CREATE DATABASE \(unescaped: database)") }
        guard var components = URLComponents(string: serverURL) else {
            throw StoreError.invalid("TEST_DATABASE_URL is not a URL")
        }
        components.path = "/" + database
        return PostgresStoreFactory(serverURL: serverURL, databaseURL: components.string!, database: database)
    }

    func open() async throws -> any RelayStore {
        let store = try await PostgresRelayStore.open(url: databaseURL)
        await opened.add(store)
        return store
    }

    func execute(_ sql: String) async throws {
        try await Self.onServer(databaseURL) { try await $0.query(PostgresQuery(unsafeSQL: sql)) }
    }

    func ageNodeHeartbeats(bySeconds seconds: Int) async throws {
        try await execute("UPDATE nodes SET heartbeat_at = heartbeat_at - interval '\(seconds) seconds'")
    }

    func tearDown() async {
        await opened.closeAll()
        try? await Self.onServer(serverURL) { try await $0.query("DROP DATABASE IF EXISTS \(unescaped: database) WITH (FORCE)") }
    }

    /// Runs `body` with a client connected to the database `url` names.
    private static func onServer(_ url: String, _ body: (PostgresClient) async throws -> Void) async throws {
        let client = PostgresClient(configuration: try PostgresDatabaseURL(parsing: url).clientConfiguration())
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        try await body(client)
    }
}
