import Foundation

/// The relay nodes sharing the store, each heartbeating by the database's clock. `instance`
/// tells apart two processes that use one name (a restart, or a mistake): only the process
/// that registered last keeps the name's row up.
extension SQLRelayStore {
    public func registerNode(_ identity: NodeIdentity, instance: String) async throws {
        let lease = self.lease
        try await database.transaction { transaction in
            let now = try await Self.storeNow(on: transaction)
            try await transaction.query("DELETE FROM nodes WHERE heartbeat_at < \(lease.forgetBefore(now: now))")
            // The name's agents and sessions from before (a crash, a restart) are gone with
            // their connections.
            try await Self.markNodeOffline(relayNode: identity.name, on: transaction)
            try await transaction.query(
                """
                UPDATE sessions SET ended_at = \(.now), end_reason = 'the relay node stopped before the session ended'
                WHERE client_node = \(identity.name) AND claimed_at IS NOT NULL AND ended_at IS NULL
                """)
            try await transaction.query(
                """
                INSERT INTO nodes (name, address, instance, started_at, heartbeat_at)
                VALUES (\(identity.name), \(identity.address), \(instance), \(.now), \(.now))
                ON CONFLICT (name) DO UPDATE SET address = excluded.address, instance = excluded.instance,
                    started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at
                """)
        }
    }

    public func heartbeatNode(_ identity: NodeIdentity, instance: String) async throws -> Bool {
        // A row forgotten meanwhile (the node stalled for longer than `forgottenAfter`) is put
        // back; one that another process registered under the name since is left to it.
        let rows = try await database.query(
            """
            INSERT INTO nodes (name, address, instance, started_at, heartbeat_at)
            VALUES (\(identity.name), \(identity.address), \(instance), \(.now), \(.now))
            ON CONFLICT (name) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
            WHERE nodes.instance = excluded.instance
            RETURNING name
            """)
        let now = try await Self.storeNow(on: database)
        try await database.query("DELETE FROM nodes WHERE heartbeat_at < \(lease.forgetBefore(now: now))")
        return !rows.isEmpty
    }

    public func removeNode(_ identity: NodeIdentity, instance: String) async throws {
        try await database.transaction { transaction in
            let removed = try await transaction.query(
                "DELETE FROM nodes WHERE name = \(identity.name) AND instance = \(instance) RETURNING name")
            guard !removed.isEmpty else { return }
            try await Self.markNodeOffline(relayNode: identity.name, on: transaction)
        }
    }

    public func liveNodeAddress(name: String) async throws -> String? {
        guard let row = try await database.query("SELECT address, heartbeat_at, \(.now) AS store_now FROM nodes WHERE name = \(name)").first
        else { return nil }
        return lease.isLive(heartbeatAt: try row.date("heartbeat_at"), now: try row.date("store_now")) ? try row.string("address") : nil
    }

    public func nodes() async throws -> [NodeRecord] {
        let rows = try await database.query(
            """
            SELECT nodes.*, \(.now) AS store_now,
                (SELECT COUNT(*) FROM devices WHERE devices.relay_node = nodes.name AND devices.online = \(literal: true)) AS agents
            FROM nodes ORDER BY name
            """)
        return try rows.map { row in
            let heartbeatAt = try row.date("heartbeat_at")
            let now = try row.date("store_now")
            let live = lease.isLive(heartbeatAt: heartbeatAt, now: now)
            return NodeRecord(
                name: try row.string("name"), address: try row.string("address"), startedAt: try row.date("started_at"),
                heartbeatAt: heartbeatAt, heartbeatAge: max(0, now.timeIntervalSince(heartbeatAt)), isLive: live,
                agents: live ? try row.int("agents") : 0)
        }
    }

    /// The database's clock now.
    static func storeNow(on executor: any StoreExecutor) async throws -> Date {
        guard let row = try await executor.query("SELECT \(.now) AS store_now").first else {
            throw StoreError.unavailable("the database did not tell its time")
        }
        return try row.date("store_now")
    }
}
