import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLiteNIO

/// The durable store-and-forward queue: every telemetry record is committed here before it
/// is published and removed only after the broker's PUBACK, so an outage or a restart loses
/// nothing. Bounded by size and by age; when a bound is passed the oldest records go first
/// and are counted in `dropped`.
///
/// One SQLite file in WAL mode with `synchronous = FULL`: a committed batch survives a crash
/// and a power cut. Every operation is one statement, so each is atomic on its own and the
/// writer and the uplink never need a transaction together.
public actor TelemetryQueue {
    /// How much the queue may hold.
    public struct Limits: Sendable, Equatable {
        /// Largest total size of the queued records' values, bytes.
        public let maxBytes: Int
        /// Oldest record kept, seconds.
        public let maxAge: Int

        public init(maxBytes: Int = 64 << 20, maxAge: Int = 7 * 86_400) {
            self.maxBytes = maxBytes
            self.maxAge = maxAge
        }
    }

    /// Most records one `append` writes in one statement (SQLite allows 32,766 bound values; three per record).
    static let maxRecordsPerStatement = 1_000
    /// Most records one size-bound pass drops; the next pass drops more if needed.
    static let maxDropPerPass = 5_000

    private let connection: SQLiteConnection
    private let limits: Limits
    private let logger: Logger
    /// Records and bytes queued now, kept in step with the table.
    public private(set) var count = 0
    public private(set) var bytes = 0
    /// Records dropped by the bounds since the queue was created (kept across restarts).
    public private(set) var dropped: Int64 = 0

    private init(connection: SQLiteConnection, limits: Limits, logger: Logger) {
        self.connection = connection
        self.limits = limits
        self.logger = logger
    }

    /// Opens (creating if needed) the queue at `path`.
    public static func open(path: String, limits: Limits = Limits(), logger: Logger = Logger(label: "agent.queue")) async throws
        -> TelemetryQueue
    {
        let connection = try await SQLiteConnection.open(
            storage: .file(path: path), threadPool: .singleton, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
        do {
            for statement in [
                "PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA busy_timeout = 5000",
                """
                CREATE TABLE IF NOT EXISTS records (
                    sequence INTEGER PRIMARY KEY AUTOINCREMENT, timestamp INTEGER NOT NULL, members TEXT NOT NULL, size INTEGER NOT NULL)
                """,
                "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
            ] {
                _ = try await connection.query(statement, [])
            }
        } catch {
            try? await connection.close()
            throw error
        }
        let queue = TelemetryQueue(connection: connection, limits: limits, logger: logger)
        try await queue.loadTotals()
        return queue
    }

    private func loadTotals() async throws {
        let row = try await connection.query("SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS b FROM records", []).first
        count = row?.column("n")?.integer ?? 0
        bytes = row?.column("b")?.integer ?? 0
        dropped = Int64(
            try await connection.query("SELECT value FROM counters WHERE name = 'dropped'", []).first?.column("value")?.integer ?? 0)
    }

    public func close() async throws {
        try await connection.close()
    }

    /// Commits `records` (durable when this returns), then applies the size bound.
    public func append(_ records: [TelemetryRecord]) async throws {
        var start = records.startIndex
        while start < records.endIndex {
            let end = min(start + Self.maxRecordsPerStatement, records.endIndex)
            let slice = records[start..<end]
            var binds: [SQLiteData] = []
            binds.reserveCapacity(slice.count * 3)
            var added = 0
            for record in slice {
                binds += [.integer(Int(record.timestamp)), .text(record.members), .integer(record.members.utf8.count)]
                added += record.members.utf8.count
            }
            let rows = Array(repeating: "(?, ?, ?)", count: slice.count).joined(separator: ", ")
            _ = try await connection.query("INSERT INTO records (timestamp, members, size) VALUES \(rows)", binds)
            count += slice.count
            bytes += added
            start = end
        }
        while bytes > limits.maxBytes, count > 0 {
            try await dropOldest()
        }
    }

    /// Up to `limit` records after `sequence`, oldest first.
    public func oldest(after sequence: Int64, limit: Int) async throws -> [QueuedRecord] {
        try await connection.query(
            "SELECT sequence, timestamp, members FROM records WHERE sequence > ? ORDER BY sequence LIMIT ?",
            [.integer(Int(sequence)), .integer(limit)]
        ).map { row in
            QueuedRecord(
                sequence: Int64(row.column("sequence")?.integer ?? 0),
                record: TelemetryRecord(
                    timestamp: Int64(row.column("timestamp")?.integer ?? 0), members: row.column("members")?.string ?? ""))
        }
    }

    /// Removes the records from `first` to `last` (the broker acknowledged them).
    public func remove(from first: Int64, through last: Int64) async throws {
        let sizes = try await connection.query(
            "DELETE FROM records WHERE sequence BETWEEN ? AND ? RETURNING size", [.integer(Int(first)), .integer(Int(last))])
        count -= sizes.count
        bytes -= sizes.reduce(0) { $0 + ($1.column("size")?.integer ?? 0) }
    }

    /// Drops the records older than the age bound, counting them; `now` in milliseconds.
    public func expire(now: Int64) async throws {
        let cutoff = now - Int64(limits.maxAge) * 1000
        let sizes = try await connection.query("DELETE FROM records WHERE timestamp < ? RETURNING size", [.integer(Int(cutoff))])
        try await countDropped(sizes, reason: "older than the queue's max_age")
    }

    /// Drops the oldest records until the size bound holds (at most `maxDropPerPass`).
    private func dropOldest() async throws {
        let excess = bytes - limits.maxBytes
        // The sequence up to which the oldest records add up to the excess.
        let rows = try await connection.query(
            "SELECT sequence, size FROM records ORDER BY sequence LIMIT ?", [.integer(Self.maxDropPerPass)])
        var freed = 0
        var cutoff = 0
        for row in rows {
            freed += row.column("size")?.integer ?? 0
            cutoff = row.column("sequence")?.integer ?? cutoff
            if freed >= excess { break }
        }
        let sizes = try await connection.query("DELETE FROM records WHERE sequence <= ? RETURNING size", [.integer(cutoff)])
        try await countDropped(sizes, reason: "the queue is over its max_bytes")
    }

    private func countDropped(_ sizes: [SQLiteRow], reason: String) async throws {
        guard !sizes.isEmpty else { return }
        count -= sizes.count
        bytes -= sizes.reduce(0) { $0 + ($1.column("size")?.integer ?? 0) }
        dropped += Int64(sizes.count)
        _ = try await connection.query(
            "INSERT INTO counters (name, value) VALUES ('dropped', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [.integer(Int(dropped))])
        logger.warning("Telemetry dropped", metadata: ["records": "\(sizes.count)", "reason": "\(reason)", "dropped.total": "\(dropped)"])
    }
}
