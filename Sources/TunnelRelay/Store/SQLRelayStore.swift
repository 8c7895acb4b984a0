import Foundation
import Logging

/// The store's rules, written once over a `StoreDatabase`: SQLite in the data directory (the
/// default, `SQLiteRelayStore.open(path:)`) or PostgreSQL shared by several relay nodes
/// (`PostgresRelayStore.open(url:)`).
///
/// Every decision that must hold under concurrency (register once, claim once, end once) is
/// a single conditional statement, so racing handles, in one process or on several nodes,
/// cannot both win; each change is written with its audit entry in one transaction.
public final class SQLRelayStore: RelayStore {
    let database: any StoreDatabase
    /// How long a node's heartbeat keeps its agents online (see `NodeLease`).
    public let lease: NodeLease

    init(database: any StoreDatabase, lease: NodeLease = .standard) {
        self.database = database
        self.lease = lease
    }

    /// Migrates `database` and returns the store over it; closes the database when that fails.
    static func migrated(_ database: any StoreDatabase, lease: NodeLease) async throws -> SQLRelayStore {
        let store = SQLRelayStore(database: database, lease: lease)
        do {
            try await store.migrate()
        } catch {
            try? await database.close()
            throw error
        }
        return store
    }

    public func migrate() async throws {
        for (index, script) in database.migrations.enumerated() {
            let version = index + 1
            try await database.migrationTransaction { transaction in
                if let lock = transaction.dialect.migrationLock { try await transaction.query(lock, []) }
                try await transaction.query("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                // Read inside the transaction: another process may have migrated meanwhile.
                guard try await Self.currentVersion(transaction) < version else { return }
                for statement in script.split(separator: ";")
                where !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    try await transaction.query(String(statement), [])
                }
                try await transaction.query("INSERT INTO schema_version (version) VALUES (\(version))")
            }
        }
    }

    public func schemaVersion() async throws -> Int {
        try await Self.currentVersion(database)
    }

    public func close() async throws {
        try await database.close()
    }

    private static func currentVersion(_ executor: any StoreExecutor) async throws -> Int {
        try await executor.query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version").first?.int("v") ?? 0
    }
}

/// The store on a SQLite file (`open(path:)`).
public typealias SQLiteRelayStore = SQLRelayStore
/// The store on a PostgreSQL database (`open(url:)`).
public typealias PostgresRelayStore = SQLRelayStore

extension SQLRelayStore {
    /// Opens (creating if needed) the SQLite store at `path` and migrates it.
    public static func open(
        path: String, lease: NodeLease = .standard, logger: Logger = Logger(label: "relay.store")
    ) async throws -> SQLRelayStore {
        try await migrated(SQLiteStoreDatabase.open(path: path, logger: logger), lease: lease)
    }

    /// Connects to the PostgreSQL database at `url` (see `PostgresDatabaseURL`) and migrates it.
    /// A server that cannot be reached, or a database that cannot be migrated, is
    /// `StoreError.unavailable` with the reason.
    public static func open(
        url: String, lease: NodeLease = .standard, logger: Logger = Logger(label: "relay.store")
    ) async throws -> SQLRelayStore {
        let database = try await PostgresStoreDatabase.open(url: url, logger: logger)
        do {
            return try await migrated(database, lease: lease)
        } catch {
            throw StoreError.unavailable("PostgreSQL at \(database.location): \(String(reflecting: error))")
        }
    }
}
