import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLiteNIO

/// The embedded store: one SQLite file in the relay's data directory, nothing to install.
///
/// WAL mode and a busy timeout let the relay and the operator's CLI use the file at once.
/// Within one process every statement goes through one connection; a gate keeps each
/// transaction's statements together. Writers in other processes wait on SQLite's lock
/// (`BEGIN IMMEDIATE`).
public final class SQLiteRelayStore: RelayStore {
    let connection: SQLiteConnection
    private let gate = AsyncSerialGate()

    private init(connection: SQLiteConnection) {
        self.connection = connection
    }

    /// Opens (creating if needed) the store at `path` and migrates it.
    public static func open(path: String, logger: Logger = Logger(label: "relay.store")) async throws -> SQLiteRelayStore {
        let connection = try await SQLiteConnection.open(
            storage: .file(path: path), threadPool: .singleton, logger: logger,
            on: MultiThreadedEventLoopGroup.singleton.any())
        let store = SQLiteRelayStore(connection: connection)
        do {
            _ = try await connection.query("PRAGMA busy_timeout = 5000", [])
            _ = try await connection.query("PRAGMA journal_mode = WAL", [])
            _ = try await connection.query("PRAGMA foreign_keys = ON", [])
            try await store.migrate()
        } catch {
            try? await connection.close()
            throw error
        }
        return store
    }

    public func migrate() async throws {
        try await serialized {
            _ = try await connection.query("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", [])
        }
        for (index, script) in Self.migrations.enumerated() {
            let version = index + 1
            try await transaction { connection in
                // Read inside the transaction: another process may have migrated meanwhile.
                guard try await Self.currentVersion(connection) < version else { return }
                for statement in script.split(separator: ";")
                where !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    _ = try await connection.query(String(statement), [])
                }
                _ = try await connection.query("INSERT INTO schema_version (version) VALUES (?)", [.integer(version)])
            }
        }
    }

    public func schemaVersion() async throws -> Int {
        try await serialized { try await Self.currentVersion(connection) }
    }

    public func close() async throws {
        try await connection.close()
    }

    private static func currentVersion(_ connection: SQLiteConnection) async throws -> Int {
        try await connection.query("SELECT MAX(version) AS v FROM schema_version", []).first?.column("v")?.integer ?? 0
    }

    // MARK: - Running statements

    /// Runs one statement alone on the connection.
    func query(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        try await serialized { try await connection.query(sql, binds) }
    }

    /// Runs `body` in a write transaction: committed when it returns, rolled back when it throws.
    func transaction<T: Sendable>(_ body: (SQLiteConnection) async throws -> T) async throws -> T {
        try await serialized {
            _ = try await connection.query("BEGIN IMMEDIATE", [])
            do {
                let result = try await body(connection)
                _ = try await connection.query("COMMIT", [])
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK", [])
                throw error
            }
        }
    }

    private func serialized<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await gate.enter()
        do {
            let result = try await body()
            await gate.leave()
            return result
        } catch {
            await gate.leave()
            throw error
        }
    }
}
