import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLiteNIO

/// The embedded database: one SQLite file in the relay's data directory, nothing to install.
///
/// WAL mode and a busy timeout let the relay and the operator's CLI use the file at once.
/// Within one process every statement goes through one connection; a gate keeps each
/// transaction's statements together. Writers in other processes wait on SQLite's lock
/// (`BEGIN IMMEDIATE`). Booleans are `INTEGER` 0 and 1, times `INTEGER` milliseconds.
final class SQLiteStoreDatabase: StoreDatabase {
    /// `?1`; 1 and 0 as the schema writes them (its partial index names `online = 1`); no row
    /// locks and no migration lock, since `BEGIN IMMEDIATE` takes the whole file's write lock.
    static let dialect = SQLDialect(
        placeholderPrefix: "?", trueLiteral: "1", falseLiteral: "0", rowLock: "", migrationLock: nil,
        // Milliseconds since 1970, as the schema keeps times (julianday is exact to the millisecond).
        now: "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)", changeNotice: nil)

    private let connection: SQLiteConnection
    private let gate = AsyncSerialGate()

    var dialect: SQLDialect { Self.dialect }
    var migrations: [String] { Self.migrations }

    private init(connection: SQLiteConnection) {
        self.connection = connection
    }

    /// Opens (creating if needed) the file at `path`.
    static func open(path: String, logger: Logger) async throws -> SQLiteStoreDatabase {
        let connection = try await SQLiteConnection.open(
            storage: .file(path: path), threadPool: .singleton, logger: logger,
            on: MultiThreadedEventLoopGroup.singleton.any())
        do {
            _ = try await connection.query("PRAGMA busy_timeout = 5000", [])
            try await switchToWAL(connection)
            _ = try await connection.query("PRAGMA foreign_keys = ON", [])
        } catch {
            // The future's close, not the async one: that one is skipped when the task is
            // cancelled (a sibling `async let` failed), and SQLiteNIO asserts on a connection
            // dropped open.
            let closing: EventLoopFuture<Void> = connection.close()
            try? await closing.get()
            throw error
        }
        return SQLiteStoreDatabase(connection: connection)
    }

    /// Write-ahead logging, so readers never wait for the writer. Changing the journal mode
    /// needs the file to itself for a moment, and SQLite answers "busy" at once rather than
    /// waiting when another connection is opening it too: that is tried again for a while.
    private static func switchToWAL(_ connection: SQLiteConnection) async throws {
        for attempt in 1... {
            do {
                _ = try await connection.query("PRAGMA journal_mode = WAL", [])
                return
            } catch let error as SQLiteError where (error.reason == .busy || error.reason == .locked) && attempt < 50 {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func query(_ sql: String, _ binds: [StoreValue]) async throws -> [StoreRow] {
        try await serialized { try await Self.run(sql, binds, on: connection) }
    }

    func migrationTransaction<T: Sendable>(_ body: @escaping @Sendable (any StoreExecutor) async throws -> T) async throws -> T {
        try await transaction(body)
    }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any StoreExecutor) async throws -> T) async throws -> T {
        try await serialized {
            _ = try await connection.query("BEGIN IMMEDIATE", [])
            do {
                let result = try await body(Transaction(connection: connection))
                _ = try await connection.query("COMMIT", [])
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK", [])
                throw error
            }
        }
    }

    /// SQLite cannot tell one process of another's writes: the audit log is read instead.
    func followChanges(_ onChange: @escaping @Sendable () -> Void) async {}

    func close() async throws {
        try await connection.close()
    }

    /// A transaction's statements, on the connection while the gate is held.
    private struct Transaction: StoreExecutor {
        let connection: SQLiteConnection

        var dialect: SQLDialect { SQLiteStoreDatabase.dialect }

        func query(_ sql: String, _ binds: [StoreValue]) async throws -> [StoreRow] {
            try await SQLiteStoreDatabase.run(sql, binds, on: connection)
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

    private static func run(_ sql: String, _ binds: [StoreValue], on connection: SQLiteConnection) async throws -> [StoreRow] {
        try await connection.query(sql, binds.map(data(for:))).map { row in
            StoreRow(Dictionary(row.columns.map { ($0.name, value(of: $0.data)) }, uniquingKeysWith: { first, _ in first }))
        }
    }

    private static func data(for value: StoreValue) -> SQLiteData {
        switch value {
        case .text(let text): .text(text)
        case .integer(let integer): .integer(integer)
        case .real(let real): .float(real)
        case .bytes(let bytes): .blob(ByteBuffer(bytes: bytes))
        case .bool(let bool): .integer(bool ? 1 : 0)
        case .time(let date): .integer(date.milliseconds)
        case .null: .null
        }
    }

    private static func value(of data: SQLiteData) -> StoreValue {
        switch data {
        case .text(let text): .text(text)
        case .integer(let integer): .integer(integer)
        case .float(let real): .real(real)
        case .blob(let buffer): .bytes(Array(buffer.readableBytesView))
        case .null: .null
        }
    }
}
