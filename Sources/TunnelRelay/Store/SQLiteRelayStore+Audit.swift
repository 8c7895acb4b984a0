import Foundation
import SQLiteNIO
import SharedWire

extension SQLiteRelayStore {
    public func appendAudit(_ entry: AuditEntry) async throws {
        try await transaction { connection in try await Self.insertAudit(entry, on: connection) }
    }

    public func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry] {
        var conditions: [String] = []
        var binds: [SQLiteData] = []
        if let deviceID = query.deviceID {
            conditions.append("device_id = ?")
            binds.append(.text(deviceID))
        }
        if let userID = query.userID {
            conditions.append("(user_id = ? OR actor = ?)")
            binds += [.text(userID), .text(userID)]
        }
        if let since = query.since {
            conditions.append("at >= ?")
            binds.append(.integer(since.milliseconds))
        }
        if let until = query.until {
            conditions.append("at < ?")
            binds.append(.integer(until.milliseconds))
        }
        if let afterID = query.afterID {
            conditions.append("id > ?")
            binds.append(.integer(Int(afterID)))
        }
        if let beforeID = query.beforeID {
            conditions.append("id < ?")
            binds.append(.integer(Int(beforeID)))
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        binds.append(.integer(max(0, query.limit)))
        return try await self.query(Self.auditSelection(query, filter: filter, limit: "?"), binds).map(Self.auditEntry(from:))
    }

    static func insertAudit(_ entry: AuditEntry, on connection: SQLiteConnection) async throws {
        _ = try await connection.query(
            """
            INSERT INTO audit_log (at, event, actor, user_id, device_id, session_id, mode, reason, source,
                started_at, bytes_to_device, bytes_from_device)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .integer(entry.at.milliseconds), .text(entry.event.rawValue), .text(entry.actor),
                .optionalText(entry.userID), .optionalText(entry.deviceID), .optionalText(entry.sessionID),
                .optionalText(entry.mode?.description), .text(entry.reason), .optionalText(entry.source),
                entry.startedAt.map { .integer($0.milliseconds) } ?? .null,
                entry.bytesToDevice.map { .integer(Int(clamping: $0)) } ?? .null,
                entry.bytesFromDevice.map { .integer(Int(clamping: $0)) } ?? .null,
            ])
    }
}

extension SQLiteData {
    static func optionalText(_ text: String?) -> SQLiteData {
        text.map { .text($0) } ?? .null
    }
}
