/// Runs statements: a database outside any transaction, or one transaction's connection.
protocol StoreExecutor: Sendable {
    /// How the statements are spelled for this database.
    var dialect: SQLDialect { get }

    /// Runs `sql` with `binds` in placeholder order (`dialect.placeholderPrefix` and the
    /// 1-based number) and returns the rows.
    @discardableResult
    func query(_ sql: String, _ binds: [StoreValue]) async throws -> [StoreRow]
}

extension StoreExecutor {
    /// Runs `statement` and returns its rows.
    @discardableResult
    func query(_ statement: StoreStatement) async throws -> [StoreRow] {
        let (sql, binds) = statement.rendered(in: dialect)
        return try await query(sql, binds)
    }
}

/// What `SQLRelayStore` needs from a database: statements, transactions, and its schema.
/// SQLite and PostgreSQL each have an adapter (`SQLiteDatabase`, `PostgresDatabase`); the
/// store's rules are written once, above it.
protocol StoreDatabase: StoreExecutor {
    /// Schema versions in order, each one script of statements separated by `;` (so none may
    /// contain one), run once in a transaction and recorded in `schema_version`. Numbered
    /// alike in every database and meaning the same; never edit one that has shipped.
    var migrations: [String] { get }

    /// Runs `body` in a write transaction: committed when it returns, rolled back when it
    /// throws. Other writers, in this process or another, wait or are waited for as the
    /// database decides; `body`'s statements run on `body`'s executor, not the database.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any StoreExecutor) async throws -> T) async throws -> T
    /// `transaction` without the time limit a database may put on transactions: for
    /// migrations, which may take long on a large store or wait for another node's.
    func migrationTransaction<T: Sendable>(_ body: @escaping @Sendable (any StoreExecutor) async throws -> T) async throws -> T

    /// Calls `onChange` each time a transaction that ran `dialect.changeNotice` commits, in
    /// this process or any other, and once each time it starts listening (what was written
    /// while it was not is for the caller to read); runs until the task is cancelled. Returns
    /// at once where the database cannot tell (`changeNotice` is nil).
    func followChanges(_ onChange: @escaping @Sendable () -> Void) async

    func close() async throws
}

/// The SQL that differs between the databases, beyond the schema (the migrations are the
/// other part, as each database spells its column types).
struct SQLDialect: Sendable {
    /// What precedes a bound value's 1-based number: `?` (`?1`) or `$` (`$1`).
    var placeholderPrefix: String
    /// How `true` and `false` are written in statements, as the schema's boolean columns and
    /// partial indexes spell them.
    var trueLiteral: String
    var falseLiteral: String
    /// Appended to a SELECT in a transaction to lock the rows it reads until the transaction
    /// ends (so a row read and then changed is not changed by another transaction between);
    /// empty where every write transaction holds the whole database.
    var rowLock: String
    /// Run first in each migration's transaction so that processes migrating at once take
    /// turns; `nil` where a write transaction already excludes the others.
    var migrationLock: String?
    /// The database's clock, in the schema's spelling of a time: every node reads the same
    /// clock, so their own clocks' skew does not matter to heartbeats and leases.
    var now: String
    /// Run after writing an audit entry that every node follows, in the same transaction, so
    /// that the nodes listening hear of it when it commits (`StoreDatabase.followChanges`);
    /// `nil` where the database cannot tell other processes.
    var changeNotice: String?
}
