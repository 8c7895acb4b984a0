import Foundation

/// Where devices' agents are connected. A node changes only what it holds: a late disconnect
/// on one node leaves an agent that moved to another online.
extension SQLRelayStore {
    public func markOnline(deviceID: String, remoteAddress: String, agentVersion: String, relayNode: String, at: Date) async throws {
        try await database.query(
            """
            UPDATE devices SET online = \(literal: true), last_seen_at = \(at), remote_address = \(remoteAddress),
                agent_version = \(agentVersion), relay_node = \(relayNode)
            WHERE id = \(deviceID)
            """)
    }

    public func markSeen(deviceID: String, relayNode: String, at: Date) async throws {
        try await database.query(
            "UPDATE devices SET last_seen_at = \(at) WHERE id = \(deviceID) AND relay_node = \(relayNode) AND online = \(literal: true)")
    }

    public func markOffline(deviceID: String, relayNode: String, at: Date) async throws {
        try await database.query(
            """
            UPDATE devices SET online = \(literal: false), last_seen_at = \(at)
            WHERE id = \(deviceID) AND relay_node = \(relayNode) AND online = \(literal: true)
            """)
    }

    public func markNodeOffline(relayNode: String, at: Date) async throws {
        try await database.query(
            "UPDATE devices SET online = \(literal: false) WHERE relay_node = \(relayNode) AND online = \(literal: true)")
    }
}
