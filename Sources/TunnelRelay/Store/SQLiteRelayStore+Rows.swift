import Foundation
import SQLiteNIO
import SharedWire

/// Records from rows, for the SQLite store.
extension SQLiteRelayStore {
    static func customer(from row: SQLiteRow) -> CustomerRecord {
        CustomerRecord(
            id: row.column("id")?.string ?? "", name: row.column("name")?.string ?? "",
            createdAt: Date(milliseconds: row.column("created_at")?.integer))
    }

    static func device(from row: SQLiteRow) -> DeviceRecord {
        DeviceRecord(
            id: row.column("id")?.string ?? "",
            customer: row.column("customer")?.string ?? "",
            createdAt: Date(milliseconds: row.column("created_at")?.integer),
            revokedAt: row.column("revoked_at")?.integer.map { Date(milliseconds: $0) },
            certificateSerial: row.column("certificate_serial")?.string ?? "",
            pendingCertificateSerial: row.column("pending_certificate_serial")?.string ?? "",
            registeredAt: row.column("registered_at")?.integer.map { Date(milliseconds: $0) },
            presence: DevicePresence(
                online: row.column("online")?.integer == 1,
                lastSeenAt: row.column("last_seen_at")?.integer.map { Date(milliseconds: $0) },
                remoteAddress: row.column("remote_address")?.string,
                agentVersion: row.column("agent_version")?.string,
                relayNode: row.column("relay_node")?.string))
    }

    static func session(from row: SQLiteRow) -> SessionRecord {
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

    static func apiKey(from row: SQLiteRow) -> APIKeyRecord {
        APIKeyRecord(
            id: row.column("id")?.string ?? "",
            userID: row.column("user_id")?.string ?? "",
            name: row.column("name")?.string ?? "",
            secretHash: row.column("secret_hash")?.blob.map { Array($0.readableBytesView) } ?? [],
            createdAt: Date(milliseconds: row.column("created_at")?.integer),
            revokedAt: row.column("revoked_at")?.integer.map { Date(milliseconds: $0) },
            lastUsedAt: row.column("last_used_at")?.integer.map { Date(milliseconds: $0) })
    }

    static func auditEntry(from row: SQLiteRow) -> AuditEntry {
        AuditEntry(
            id: row.column("id")?.integer.map { Int64($0) },
            at: Date(milliseconds: row.column("at")?.integer),
            event: AuditEvent(rawValue: row.column("event")?.string ?? ""),
            actor: row.column("actor")?.string ?? "",
            userID: row.column("user_id")?.string,
            deviceID: row.column("device_id")?.string,
            sessionID: row.column("session_id")?.string,
            mode: row.column("mode")?.string.flatMap(TunnelMessage.SessionMode.init(name:)),
            reason: row.column("reason")?.string ?? "",
            source: row.column("source")?.string,
            startedAt: row.column("started_at")?.integer.map { Date(milliseconds: $0) },
            bytesToDevice: row.column("bytes_to_device")?.integer.map { UInt64(clamping: $0) },
            bytesFromDevice: row.column("bytes_from_device")?.integer.map { UInt64(clamping: $0) })
    }
}
