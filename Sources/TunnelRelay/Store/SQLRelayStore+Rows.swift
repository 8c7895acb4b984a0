import Foundation
import SharedWire

/// Records from rows. Times come back at the stores' precision; numbers out of their record's
/// range are clamped, never trapped on.
extension SQLRelayStore {
    static func customer(from row: StoreRow) throws -> CustomerRecord {
        CustomerRecord(id: try row.string("id"), name: try row.string("name"), createdAt: try row.date("created_at"))
    }

    /// A device from a row of `devicesWithPresence`: online only while the node holding it
    /// heartbeats within the lease.
    func device(from row: StoreRow) throws -> DeviceRecord {
        let nodeLive = lease.isLive(heartbeatAt: try row.optionalDate("node_heartbeat_at"), now: try row.date("store_now"))
        return DeviceRecord(
            id: try row.string("id"),
            customer: try row.string("customer"),
            createdAt: try row.date("created_at"),
            revokedAt: try row.optionalDate("revoked_at"),
            certificateSerial: try row.string("certificate_serial"),
            pendingCertificateSerial: try row.string("pending_certificate_serial"),
            registeredAt: try row.optionalDate("registered_at"),
            presence: DevicePresence(
                online: try row.bool("online") && nodeLive,
                lastSeenAt: try row.optionalDate("last_seen_at"),
                remoteAddress: try row.optionalString("remote_address"),
                agentVersion: try row.optionalString("agent_version"),
                relayNode: try row.optionalString("relay_node"),
                firmwareVersion: try row.optionalString("firmware_version"),
                epoch: Int64(try row.int("presence_epoch"))))
    }

    static func session(from row: StoreRow) throws -> SessionRecord {
        var record = SessionRecord(
            id: try row.string("id"),
            deviceID: try row.string("device_id"),
            mode: TunnelMessage.SessionMode(rawValue: UInt8(clamping: try row.int("mode"))) ?? .control,
            createdBy: try row.string("created_by"),
            createdAt: try row.date("created_at"),
            expiresAt: try row.date("expires_at"),
            tokenHash: try row.bytes("token_hash"),
            claimedAt: try row.optionalDate("claimed_at"),
            takeOver: try row.bool("take_over"), clientNode: try row.optionalString("client_node"))
        if let ended = try row.optionalDate("ended_at") {
            record.ending = SessionEnding(
                endedAt: ended, reason: try row.optionalString("end_reason") ?? "",
                bytesToDevice: UInt64(clamping: try row.int("bytes_to_device")),
                bytesFromDevice: UInt64(clamping: try row.int("bytes_from_device")))
        }
        return record
    }

    static func apiKey(from row: StoreRow) throws -> APIKeyRecord {
        APIKeyRecord(
            id: try row.string("id"),
            userID: try row.string("user_id"),
            name: try row.string("name"),
            secretHash: try row.bytes("secret_hash"),
            createdAt: try row.date("created_at"),
            revokedAt: try row.optionalDate("revoked_at"),
            lastUsedAt: try row.optionalDate("last_used_at"))
    }

    static func auditEntry(from row: StoreRow) throws -> AuditEntry {
        AuditEntry(
            id: try row.optionalInt("id").map { Int64($0) },
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
            bytesToDevice: try row.optionalInt("bytes_to_device").map { UInt64(clamping: $0) },
            bytesFromDevice: try row.optionalInt("bytes_from_device").map { UInt64(clamping: $0) })
    }

    /// A user from its row and its customers (`user_customers` rows).
    static func user(from row: StoreRow, customers: [String]) throws -> UserRecord {
        UserRecord(
            id: try row.string("id"), role: UserRole(rawValue: try row.string("role")) ?? .viewer, customers: customers,
            createdAt: try row.date("created_at"))
    }
}
