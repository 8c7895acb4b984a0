import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO

/// A PostgreSQL database that several relay nodes share, reached through a postgres-nio
/// connection pool. Booleans are `BOOLEAN`, times `TIMESTAMPTZ` (readable in an operator's
/// `psql`), kept at millisecond precision like SQLite's.
final class PostgresStoreDatabase: StoreDatabase {
    /// Connections the pool opens at most, per relay process.
    static let maximumConnections = 16
    /// Time to open one connection before giving up on it.
    static let connectTimeout: Duration = .seconds(10)
    /// Time a statement or a transaction may wait for a connection: with the server away the
    /// pool would keep callers waiting while it retries, and an engineer's request or a
    /// session's claim would hang instead of being told. Once a connection is had, the work
    /// takes as long as it takes (a server that goes away then fails it at once).
    static let connectionWait: Duration = .seconds(5)
    /// Key of the advisory lock that lets one process migrate at a time.
    static let migrationLockKey: Int64 = 0x7265_6C61_7973_746F  // "relaysto"
    /// The notification channel on which a write that every node follows is announced.
    static let changeChannel = "relay_changes"
    /// Time between attempts to listen again after the listening connection failed.
    static let relistenDelay: Duration = .seconds(1)
    /// `$1`; `TRUE` and `FALSE`; `SELECT … FOR UPDATE` holds a row read before it is changed,
    /// and relay nodes starting together take turns to migrate under an advisory lock.
    static let dialect = SQLDialect(
        placeholderPrefix: "$", trueLiteral: "TRUE", falseLiteral: "FALSE", rowLock: " FOR UPDATE",
        migrationLock: "SELECT pg_advisory_xact_lock(\(migrationLockKey))", now: "now()",
        changeNotice: "SELECT pg_notify('\(changeChannel)', '')")

    let location: PostgresDatabaseURL
    private let client: PostgresClient
    private let logger: Logger
    private let runner: Task<Void, Never>

    var dialect: SQLDialect { Self.dialect }
    var migrations: [String] { Self.migrations }

    private init(client: PostgresClient, location: PostgresDatabaseURL, runner: Task<Void, Never>, logger: Logger) {
        self.client = client
        self.location = location
        self.runner = runner
        self.logger = logger
    }

    /// Connects to the database at `url` (see `PostgresDatabaseURL`).
    static func open(url: String, logger: Logger) async throws -> PostgresStoreDatabase {
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
        return PostgresStoreDatabase(client: client, location: location, runner: runner, logger: logger)
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

    func query(_ sql: String, _ binds: [StoreValue]) async throws -> [StoreRow] {
        let logger = self.logger
        return try await leasing(wait: Self.connectionWait) { connection in
            try await Self.rows(of: connection.query(Self.query(sql, binds), logger: logger))
        }
    }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any StoreExecutor) async throws -> T) async throws -> T {
        try await inTransaction(wait: Self.connectionWait, body)
    }

    func migrationTransaction<T: Sendable>(_ body: @escaping @Sendable (any StoreExecutor) async throws -> T) async throws -> T {
        try await inTransaction(wait: nil, body)
    }

    private func inTransaction<T: Sendable>(
        wait: Duration?, _ body: @escaping @Sendable (any StoreExecutor) async throws -> T
    ) async throws -> T {
        let logger = self.logger
        return try await leasing(wait: wait) { connection in
            let transaction = Transaction(connection: connection, logger: logger)
            try await transaction.query("BEGIN", [])
            do {
                let result = try await body(transaction)
                try await transaction.query("COMMIT", [])
                return result
            } catch {
                _ = try? await transaction.query("ROLLBACK", [])
                throw error
            }
        }
    }

    /// `body` on a pooled connection; `StoreError.unavailable` when none could be had within
    /// `wait` (nil: no limit). Only the wait is bounded, not `body`.
    private func leasing<T: Sendable>(
        wait: Duration?, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let client = self.client
        guard let wait else { return try await client.withConnection(body) }
        let leased = NIOLockedValueBox(false)
        let location = self.location
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await client.withConnection { connection in
                    leased.withLockedValue { $0 = true }
                    return try await body(connection)
                }
            }
            group.addTask {
                try await Task.sleep(for: wait)
                guard leased.withLockedValue({ $0 }) else {
                    throw StoreError.unavailable("PostgreSQL at \(location) gave no connection within \(wait)")
                }
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw StoreError.unavailable("PostgreSQL at \(location) gave no answer")
        }
    }

    /// Listens on a connection of its own, outside the pool (a pooled one would be taken from
    /// the store's work for good), and listens again after it fails.
    func followChanges(_ onChange: @escaping @Sendable () -> Void) async {
        var told = false  // that listening failed, once until it works again
        while !Task.isCancelled {
            do {
                var configuration = try location.connectionConfiguration()
                configuration.options.connectTimeout = .seconds(Self.connectTimeout.components.seconds)
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
                do {
                    try await connection.listen(on: Self.changeChannel) { notices in
                        told = false
                        onChange()
                        for try await _ in notices { onChange() }
                    }
                    try? await connection.close()
                } catch {
                    try? await connection.close()
                    throw error
                }
            } catch {
                if Task.isCancelled { return }
                if !told {
                    logger.warning(
                        "Listening for revocations and ends failed; they are read from the audit log meanwhile",
                        metadata: ["error": "\(String(reflecting: error))"])
                    told = true
                }
            }
            try? await Task.sleep(for: Self.relistenDelay)
        }
    }

    func close() async throws {
        runner.cancel()
        await runner.value
    }

    /// A transaction's statements, on the connection it holds.
    private struct Transaction: StoreExecutor {
        let connection: PostgresConnection
        let logger: Logger

        var dialect: SQLDialect { PostgresStoreDatabase.dialect }

        @discardableResult
        func query(_ sql: String, _ binds: [StoreValue]) async throws -> [StoreRow] {
            try await PostgresStoreDatabase.rows(of: connection.query(PostgresStoreDatabase.query(sql, binds), logger: logger))
        }
    }

    private static func query(_ sql: String, _ binds: [StoreValue]) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            switch value {
            case .text(let text): bindings.append(text)
            case .integer(let integer): bindings.append(integer)
            case .real(let real): bindings.append(real)
            case .bytes(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            case .bool(let bool): bindings.append(bool)
            case .time(let date): bindings.append(date.storedPrecision)
            case .null: bindings.appendNull()
            }
        }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    private static func rows(of sequence: PostgresRowSequence) async throws -> [StoreRow] {
        var rows: [StoreRow] = []
        for try await row in sequence {
            var columns: [String: StoreValue] = [:]
            for cell in row where columns[cell.columnName] == nil {
                columns[cell.columnName] = try value(of: cell)
            }
            rows.append(StoreRow(columns))
        }
        return rows
    }

    /// The cell as a `StoreValue`, for the column types the migrations create.
    private static func value(of cell: PostgresCell) throws -> StoreValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .text, .varchar, .bpchar, .name: return .text(try cell.decode(String.self))
        case .int2, .int4, .int8: return .integer(try cell.decode(Int.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .bool: return .bool(try cell.decode(Bool.self))
        case .bytea: return .bytes(Array(try cell.decode(ByteBuffer.self).readableBytesView))
        case .timestamptz, .timestamp: return .time(try cell.decode(Date.self).storedPrecision)
        case .void: return .null
        default:
            throw StoreError.unavailable(
                "the database's column \"\(cell.columnName)\" has type \(cell.dataType), which the store does not read")
        }
    }
}
