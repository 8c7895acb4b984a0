import Foundation
import NIOCore
import PostgresNIO
import SharedWire

/// Records from rows, for the PostgreSQL store. Times come back at the stores' precision.
extension PostgresRelayStore {
    static func customer(from row: PostgresRow) throws -> CustomerRecord {
        let row = PostgresRecordRow(row)
        return CustomerRecord(id: try row.string("id"), name: try row.string("name"), createdAt: try row.date("created_at"))
    }

    static func device(from row: PostgresRow) throws -> DeviceRecord {
        let row = PostgresRecordRow(row)
        return DeviceRecord(
            id: try row.string("id"),
            customer: try row.string("customer"),
            createdAt: try row.date("created_at"),
            revokedAt: try row.optionalDate("revoked_at"),
            certificateSerial: try row.string("certificate_serial"),
            pendingCertificateSerial: try row.string("pending_certificate_serial"),
            registeredAt: try row.optionalDate("registered_at"),
            presence: DevicePresence(
                online: try row.cell("online").decode(Bool.self),
                lastSeenAt: try row.optionalDate("last_seen_at"),
                remoteAddress: try row.optionalString("remote_address"),
                agentVersion: try row.optionalString("agent_version"),
                relayNode: try row.optionalString("relay_node")))
    }

    static func session(from row: PostgresRow) throws -> SessionRecord {
        let row = PostgresRecordRow(row)
        var record = SessionRecord(
            id: try row.string("id"),
            deviceID: try row.string("device_id"),
            mode: TunnelMessage.SessionMode(rawValue: UInt8(clamping: try row.cell("mode").decode(Int.self))) ?? .control,
            createdBy: try row.string("created_by"),
            createdAt: try row.date("created_at"),
            expiresAt: try row.date("expires_at"),
            tokenHash: try row.bytes("token_hash"),
            claimedAt: try row.optionalDate("claimed_at"),
            takeOver: try row.cell("take_over").decode(Bool.self))
        if let ended = try row.optionalDate("ended_at") {
            record.ending = SessionEnding(
                endedAt: ended, reason: try row.optionalString("end_reason") ?? "",
                bytesToDevice: UInt64(clamping: try row.cell("bytes_to_device").decode(Int64.self)),
                bytesFromDevice: UInt64(clamping: try row.cell("bytes_from_device").decode(Int64.self)))
        }
        return record
    }

    static func apiKey(from row: PostgresRow) throws -> APIKeyRecord {
        let row = PostgresRecordRow(row)
        return APIKeyRecord(
            id: try row.string("id"),
            userID: try row.string("user_id"),
            name: try row.string("name"),
            secretHash: try row.bytes("secret_hash"),
            createdAt: try row.date("created_at"),
            revokedAt: try row.optionalDate("revoked_at"),
            lastUsedAt: try row.optionalDate("last_used_at"))
    }

    static func auditEntry(from row: PostgresRow) throws -> AuditEntry {
        let row = PostgresRecordRow(row)
        return AuditEntry(
            id: try row.cell("id").decode(Int64.self),
            at: try row.date("at"),
            event: AuditEvent(rawValue: try row.string("event")),
            actor: try row.string("actor"),
            userID: try row.optionalString("user_id"),
            deviceID: try row.optionalString("device_id"),
            sessionID: try row.optionalString("session_id"),
            mode: try row.optionalString("mode").flatMap(TunnelMessage.SessionMode.init(name:)),
            reason: try row.string("reason"),
            source: try row.optionalString("source"),
            startedAt: try row.optionalDate("started_at"),
            bytesToDevice: try row.cell("bytes_to_device").decode(Int64?.self).map { UInt64(clamping: $0) },
            bytesFromDevice: try row.cell("bytes_from_device").decode(Int64?.self).map { UInt64(clamping: $0) })
    }
}

/// Typed reads of one row's columns by name.
struct PostgresRecordRow {
    private let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) {
        self.row = row.makeRandomAccess()
    }

    func cell(_ column: String) -> PostgresCell { row[column] }

    func string(_ column: String) throws -> String { try row[column].decode(String.self) }

    func optionalString(_ column: String) throws -> String? { try row[column].decode(String?.self) }

    func date(_ column: String) throws -> Date { try row[column].decode(Date.self).storedPrecision }

    func optionalDate(_ column: String) throws -> Date? { try row[column].decode(Date?.self)?.storedPrecision }

    func bytes(_ column: String) throws -> [UInt8] { Array(try row[column].decode(ByteBuffer.self).readableBytesView) }
}
