import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLiteNIO
import SharedWire

/// The embedded store: one SQLite file in the relay's data directory, nothing to install.
///
/// WAL mode and a busy timeout let the relay and the operator's CLI use the file at once.
public final class SQLiteRelayStore: RelayStore {
    private let connection: SQLiteConnection

    private init(connection: SQLiteConnection) {
        self.connection = connection
    }

    /// Opens (creating if needed) the store at `path` and migrates it.
    public static func open(path: String, logger: Logger = Logger(label: "relay.store")) async throws -> SQLiteRelayStore {
        let connection = try await SQLiteConnection.open(
            storage: .file(path: path), threadPool: .singleton, logger: logger,
            on: MultiThreadedEventLoopGroup.singleton.any())
        let store = SQLiteRelayStore(connection: connection)
        _ = try await connection.query("PRAGMA busy_timeout = 5000", [])
        _ = try await connection.query("PRAGMA journal_mode = WAL", [])
        try await store.migrate()
        return store
    }

    /// Schema versions in order; each runs once, recorded in `schema_version`.
    private static let migrations: [String] = [
        """
        CREATE TABLE devices (
            id TEXT PRIMARY KEY,
            customer TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER,
            certificate_serial TEXT NOT NULL
        );
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            device_id TEXT NOT NULL REFERENCES devices(id),
            mode INTEGER NOT NULL,
            created_by TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            token_hash BLOB NOT NULL,
            claimed_at INTEGER,
            ended_at INTEGER,
            end_reason TEXT,
            bytes_to_device INTEGER NOT NULL DEFAULT 0,
            bytes_from_device INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX sessions_by_device ON sessions(device_id, created_at);
        """,
        """
        ALTER TABLE sessions ADD COLUMN take_over INTEGER NOT NULL DEFAULT 0;
        """,
    ]

    public func migrate() async throws {
        _ = try await connection.query("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", [])
        let rows = try await connection.query("SELECT MAX(version) AS v FROM schema_version", [])
        let current = rows.first?.column("v")?.integer ?? 0
        for (index, script) in Self.migrations.enumerated() where index + 1 > current {
            _ = try await connection.query("BEGIN IMMEDIATE", [])
            do {
                for statement in script.split(separator: ";") where !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    _ = try await connection.query(String(statement), [])
                }
                _ = try await connection.query("INSERT INTO schema_version (version) VALUES (?)", [.integer(index + 1)])
                _ = try await connection.query("COMMIT", [])
            } catch {
                _ = try? await connection.query("ROLLBACK", [])
                throw error
            }
        }
    }

    public func addDevice(_ device: DeviceRecord) async throws {
        let inserted = try await connection.query(
            """
            INSERT INTO devices (id, customer, created_at, revoked_at, certificate_serial)
            VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING RETURNING id
            """,
            [.text(device.id), .text(device.customer), .integer(device.createdAt.milliseconds),
             device.revokedAt.map { .integer($0.milliseconds) } ?? .null, .text(device.certificateSerial)])
        guard !inserted.isEmpty else { throw StoreError.deviceExists(device.id) }
    }

    public func device(id: String) async throws -> DeviceRecord? {
        try await connection.query("SELECT * FROM devices WHERE id = ?", [.text(id)]).first.map(Self.device(from:))
    }

    public func devices() async throws -> [DeviceRecord] {
        try await connection.query("SELECT * FROM devices ORDER BY id", []).map(Self.device(from:))
    }

    public func revokeDevice(id: String, at: Date) async throws {
        let rows = try await connection.query(
            "UPDATE devices SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING id",
            [.integer(at.milliseconds), .text(id)])
        guard !rows.isEmpty else { throw StoreError.deviceNotFound(id) }
    }

    public func createSession(_ session: SessionRecord) async throws {
        _ = try await connection.query(
            """
            INSERT INTO sessions (id, device_id, mode, created_by, created_at, expires_at, token_hash, take_over)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(session.id), .text(session.deviceID), .integer(Int(session.mode.rawValue)),
             .text(session.createdBy), .integer(session.createdAt.milliseconds),
             .integer(session.expiresAt.milliseconds), .blob(ByteBuffer(bytes: session.tokenHash)),
             .integer(session.takeOver ? 1 : 0)])
    }

    public func claimSession(id: String, secretHash: [UInt8], now: Date) async throws -> SessionClaim {
        guard let session = try await session(id: id),
              constantTimeEqual(session.tokenHash, secretHash)
        else { return .unknown }
        if session.claimedAt != nil { return .used }
        if session.expiresAt <= now { return .expired }
        // The conditional update is what makes the token single-use under concurrency:
        // of two claims racing past the checks above, only one changes the row.
        let won = try await connection.query(
            "UPDATE sessions SET claimed_at = ? WHERE id = ? AND claimed_at IS NULL RETURNING id",
            [.integer(now.milliseconds), .text(id)])
        guard !won.isEmpty else { return .used }
        var claimed = session
        claimed.claimedAt = now
        return .claimed(claimed)
    }

    public func session(id: String) async throws -> SessionRecord? {
        try await connection.query("SELECT * FROM sessions WHERE id = ?", [.text(id)]).first.map(Self.session(from:))
    }

    public func sessions(deviceID: String?) async throws -> [SessionRecord] {
        if let deviceID {
            return try await connection.query(
                "SELECT * FROM sessions WHERE device_id = ? ORDER BY created_at", [.text(deviceID)]
            ).map(Self.session(from:))
        }
        return try await connection.query("SELECT * FROM sessions ORDER BY created_at", []).map(Self.session(from:))
    }

    public func endSession(id: String, ending: SessionEnding) async throws {
        _ = try await connection.query(
            """
            UPDATE sessions SET ended_at = ?, end_reason = ?, bytes_to_device = ?, bytes_from_device = ?
            WHERE id = ? AND ended_at IS NULL
            """,
            [.integer(ending.endedAt.milliseconds), .text(ending.reason), .integer(Int(ending.bytesToDevice)),
             .integer(Int(ending.bytesFromDevice)), .text(id)])
    }

    public func close() async throws {
        try await connection.close()
    }

    private static func device(from row: SQLiteRow) -> DeviceRecord {
        DeviceRecord(
            id: row.column("id")?.string ?? "",
            customer: row.column("customer")?.string ?? "",
            createdAt: Date(milliseconds: row.column("created_at")?.integer),
            revokedAt: row.column("revoked_at")?.integer.map { Date(milliseconds: $0) },
            certificateSerial: row.column("certificate_serial")?.string ?? "")
    }

    private static func session(from row: SQLiteRow) -> SessionRecord {
        var record = SessionRecord(
            id: row.column("id")?.string ?? "",
            deviceID: row.column("device_id")?.string ?? "",
            mode: TunnelMessage.SessionMode(rawValue: UInt8(row.column("mode")?.integer ?? 1)) ?? .control,
            createdBy: row.column("created_by")?.string ?? "",
            createdAt: Date(milliseconds: row.column("created_at")?.integer),
            expiresAt: Date(milliseconds: row.column("expires_at")?.integer),
            tokenHash: row.column("token_hash")?.blob.map { Array($0.readableBytesView) } ?? [],
            claimedAt: row.column("claimed_at")?.integer.map { Date(milliseconds: $0) },
            takeOver: row.column("take_over")?.integer == 1)
        if let ended = row.column("ended_at")?.integer {
            record.ending = SessionEnding(
                endedAt: Date(milliseconds: ended), reason: row.column("end_reason")?.string ?? "",
                bytesToDevice: UInt64(row.column("bytes_to_device")?.integer ?? 0),
                bytesFromDevice: UInt64(row.column("bytes_from_device")?.integer ?? 0))
        }
        return record
    }
}

extension Date {
    var milliseconds: Int { Int((timeIntervalSince1970 * 1000).rounded()) }

    init(milliseconds: Int?) {
        self.init(timeIntervalSince1970: Double(milliseconds ?? 0) / 1000)
    }
}
