import Foundation
import PostgresNIO

extension PostgresRelayStore {
    public func appendAudit(_ entry: AuditEntry) async throws {
        try await transaction { connection in try await Self.insertAudit(entry, on: connection, self.logger) }
    }

    public func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry] {
        var conditions: [String] = []
        var binds = PostgresBindings()
        func placeholder() -> String { "$\(binds.count)" }
        if let deviceID = query.deviceID {
            binds.append(deviceID)
            conditions.append("device_id = \(placeholder())")
        }
        if let userID = query.userID {
            binds.append(userID)
            conditions.append("(user_id = \(placeholder()) OR actor = \(placeholder()))")
        }
        if let since = query.since {
            binds.append(since.storedPrecision)
            conditions.append("at >= \(placeholder())")
        }
        if let until = query.until {
            binds.append(until.storedPrecision)
            conditions.append("at < \(placeholder())")
        }
        if let afterID = query.afterID {
            binds.append(afterID)
            conditions.append("id > \(placeholder())")
        }
        if let beforeID = query.beforeID {
            binds.append(beforeID)
            conditions.append("id < \(placeholder())")
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        binds.append(Int64(max(0, query.limit)))
        let sql = Self.auditSelection(query, filter: filter, limit: placeholder())
        return try await rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map(Self.auditEntry(from:))
    }

    static func insertAudit(_ entry: AuditEntry, on connection: PostgresConnection, _ logger: Logger) async throws {
        try await run(
            """
            INSERT INTO audit_log (at, event, actor, user_id, device_id, session_id, mode, reason, source,
                started_at, bytes_to_device, bytes_from_device)
            VALUES (\(entry.at.storedPrecision), \(entry.event.rawValue), \(entry.actor), \(entry.userID),
                \(entry.deviceID), \(entry.sessionID), \(entry.mode?.description), \(entry.reason), \(entry.source),
                \(entry.startedAt?.storedPrecision), \(entry.bytesToDevice.map { Int64(clamping: $0) }),
                \(entry.bytesFromDevice.map { Int64(clamping: $0) }))
            """, on: connection, logger)
    }
}
