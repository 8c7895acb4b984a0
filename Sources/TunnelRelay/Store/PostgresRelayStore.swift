import Foundation
import Logging
import PostgresNIO

/// The store for several relay nodes: a PostgreSQL database they share, reached through a
/// postgres-nio connection pool.
///
/// The same contract as `SQLiteRelayStore`: every decision that must hold under concurrency
/// (register once, claim once, end once) is a single conditional statement, so racing nodes
/// cannot both win; each change is written with its audit entry in one transaction.
public final class PostgresRelayStore: RelayStore {
    /// Connections the pool opens at most, per relay process.
    public static let maximumConnections = 16
    /// Time to open one connection before giving up on it.
    public static let connectTimeout: Duration = .seconds(10)
    /// Key of the advisory lock that lets one process migrate at a time.
    static let migrationLockKey: Int64 = 0x7265_6C61_7973_746F  // "relaysto"

    let client: PostgresClient
    let logger: Logger
    let location: PostgresDatabaseURL
    private let runner: Task<Void, Never>

    private init(client: PostgresClient, location: PostgresDatabaseURL, runner: Task<Void, Never>, logger: Logger) {
        self.client = client
        self.location = location
        self.runner = runner
        self.logger = logger
    }

    /// Connects to the database at `url` (see `PostgresDatabaseURL`) and migrates it.
    public static func open(url: String, logger: Logger = Logger(label: "relay.store")) async throws -> PostgresRelayStore {
        let location = try PostgresDatabaseURL(parsing: url)
        try await checkReachable(location, logger: logger)
        var configuration = location.clientConfiguration()
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = connectTimeout
        // The pool logs each failed connection attempt; the store's callers see the errors.
        var background = logger
        background.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(configuration: configuration, backgroundLogger: background)
        // The pool works only while `run()` does; `close()` cancels it.
        let (started, signal) = AsyncStream<Never>.makeStream()
        let runner = Task {
            signal.finish()
            await client.run()
        }
        for await _ in started {}
        let store = PostgresRelayStore(client: client, location: location, runner: runner, logger: logger)
        do {
            try await store.migrate()
        } catch {
            try? await store.close()
            throw StoreError.unavailable("PostgreSQL at \(location): \(String(reflecting: error))")
        }
        return store
    }

    /// One connection, opened and closed, so that a wrong URL or a server that is down is
    /// reported at once with its reason (the pool would retry for a minute).
    private static func checkReachable(_ location: PostgresDatabaseURL, logger: Logger) async throws {
        do {
            var configuration = try location.connectionConfiguration()
            configuration.options.connectTimeout = .seconds(connectTimeout.components.seconds)
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try await connection.close()
        } catch {
            throw StoreError.unavailable("PostgreSQL at \(location): \(String(reflecting: error))")
        }
    }

    public func migrate() async throws {
        for (index, script) in Self.migrations.enumerated() {
            let version = index + 1
            try await transaction { connection in
                // Relay nodes starting together take turns; each re-reads the version under the lock.
                try await Self.run("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))", on: connection, self.logger)
                try await Self.run(
                    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", on: connection, self.logger)
                guard try await Self.currentVersion(connection, self.logger) < version else { return }
                for statement in script.split(separator: ";")
                where !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    try await Self.run(PostgresQuery(unsafeSQL: String(statement)), on: connection, self.logger)
                }
                try await Self.run("INSERT INTO schema_version (version) VALUES (\(version))", on: connection, self.logger)
            }
        }
    }

    public func schemaVersion() async throws -> Int {
        try await client.withConnection { try await Self.currentVersion($0, self.logger) }
    }

    public func close() async throws {
        runner.cancel()
        await runner.value
    }

    private static func currentVersion(_ connection: PostgresConnection, _ logger: Logger) async throws -> Int {
        let rows = try await connection.query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version", logger: logger)
            .collect()
        return try rows.first?.makeRandomAccess()["v"].decode(Int.self) ?? 0
    }

    // MARK: - Running statements

    /// Runs one statement on a pooled connection and returns its rows.
    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await client.query(query, logger: logger).collect()
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    func transaction<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await Self.run("BEGIN", on: connection, self.logger)
            do {
                let result = try await body(connection)
                try await Self.run("COMMIT", on: connection, self.logger)
                return result
            } catch {
                _ = try? await Self.run("ROLLBACK", on: connection, self.logger)
                throw error
            }
        }
    }

    /// Runs one statement on `connection` and returns its rows.
    @discardableResult
    static func run(_ query: PostgresQuery, on connection: PostgresConnection, _ logger: Logger) async throws -> [PostgresRow] {
        try await connection.query(query, logger: logger).collect()
    }
}
