import Foundation

/// Where devices' agents are connected. Each accepted control connection claims its device's
/// presence with a new epoch (the device's counter, raised in the same statement), and every
/// later write for that connection carries the epoch and changes nothing once another claim
/// has raised it: a late disconnect, on this node or a stale one, leaves a newer connection
/// online.
extension SQLRelayStore {
    public func markOnline(deviceID: String, remoteAddress: String, agentVersion: String, relayNode: String, at: Date) async throws
        -> Int64?
    {
        // One statement reads and raises the counter: SQLite runs one writer at a time, and
        // PostgreSQL makes a racing claim wait for this row and then raise the raised value.
        try await database.query(
            """
            UPDATE devices SET online = \(literal: true), last_seen_at = \(at), remote_address = \(remoteAddress),
                agent_version = \(agentVersion), relay_node = \(relayNode), presence_epoch = presence_epoch + 1
            WHERE id = \(deviceID) RETURNING presence_epoch
            """
        ).first.map { Int64(try $0.int("presence_epoch")) }
    }

    public func recordFirmwareVersion(deviceID: String, version: String) async throws {
        guard DeviceFirmware.isValid(version) else { throw StoreError.invalid("firmware version \"\(version)\" is not one") }
        try await database.query(
            """
            UPDATE devices SET firmware_version = \(version)
            WHERE id = \(deviceID) AND (firmware_version IS NULL OR firmware_version <> \(version))
            """)
    }

    public func markSeen(deviceID: String, epoch: Int64, at: Date) async throws {
        try await database.query(
            """
            UPDATE devices SET last_seen_at = \(at)
            WHERE id = \(deviceID) AND presence_epoch = \(epoch) AND online = \(literal: true)
            """)
    }

    public func markOffline(deviceID: String, epoch: Int64, at: Date) async throws -> Bool {
        try await !database.query(
            """
            UPDATE devices SET online = \(literal: false), last_seen_at = \(at)
            WHERE id = \(deviceID) AND presence_epoch = \(epoch) AND online = \(literal: true) RETURNING id
            """
        ).isEmpty
    }

    public func markNodeOffline(relayNode: String, at: Date) async throws {
        try await Self.markNodeOffline(relayNode: relayNode, on: database)
    }

    static func markNodeOffline(relayNode: String, on executor: any StoreExecutor) async throws {
        try await executor.query(
            "UPDATE devices SET online = \(literal: false) WHERE relay_node = \(relayNode) AND online = \(literal: true)")
    }
}
