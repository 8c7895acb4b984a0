import Foundation

/// The console's fleet pages: visibility, search, filters, order and the page itself are one
/// query, and the count another, so nothing scales with the fleet in memory.
extension SQLRelayStore {
    public func fleetPage(_ query: FleetQuery) async throws -> FleetPage {
        // Online means a node holds the agent and that node's heartbeat is within its lease, by
        // the database's clock (as `device(from:)` decides for one device).
        let now = try await database.query("SELECT \(.now) AS store_now").first?.date("store_now") ?? Date()
        let liveSince = now.addingTimeInterval(-lease.duration.inSeconds)
        let online: StoreStatement = "(devices.online = \(literal: true) AND nodes.heartbeat_at >= \(liveSince))"
        var conditions: [StoreStatement] = []
        if query.visibleTo.role != .admin {
            conditions.append(
                "devices.customer IN (SELECT customer_id FROM user_customers WHERE user_id = \(query.visibleTo.id))")
        }
        if let search = query.search, !search.isEmpty {
            let pattern = "%" + Self.likeEscaped(search.lowercased()) + "%"
            conditions.append("(LOWER(devices.id) LIKE \(pattern) ESCAPE '!' OR LOWER(devices.customer) LIKE \(pattern) ESCAPE '!')")
        }
        if let customer = query.customer { conditions.append("devices.customer = \(customer)") }
        switch query.online {
        case true?: conditions.append(online)
        case false?:
            conditions.append(
                "(devices.online = \(literal: false) OR nodes.heartbeat_at IS NULL OR nodes.heartbeat_at < \(liveSince))")
        case nil: break
        }
        let filter = StoreStatement.whereClause(conditions)
        let from: StoreStatement = "FROM devices LEFT JOIN nodes ON nodes.name = devices.relay_node \(filter)"
        let total = try await database.query("SELECT COUNT(*) AS n \(from)").first?.int("n") ?? 0
        let direction: StoreStatement = query.descending ? "DESC" : "ASC"
        // The order is the sort key, then the device ID, both in the page's direction.
        let key: StoreStatement
        switch query.sort {
        case .id: key = "devices.id"
        case .customer: key = "devices.customer"
        case .lastSeen: key = "COALESCE(devices.last_seen_at, \(Date(timeIntervalSince1970: 0)))"
        case .online: key = "CASE WHEN \(online) THEN 1 ELSE 0 END"
        }
        // The page is chosen first and its active sessions counted after, for its rows only:
        // counted in the same SELECT, they were counted for every row the offset skips too (and
        // PostgreSQL, seeing that cost, compiled the query with its JIT on every page).
        let rows = try await database.query(
            """
            SELECT page.*, (SELECT COUNT(*) FROM sessions WHERE sessions.device_id = page.id
                    AND sessions.claimed_at IS NOT NULL AND sessions.ended_at IS NULL) AS active_sessions
            FROM (
                SELECT devices.*, nodes.heartbeat_at AS node_heartbeat_at, \(.now) AS store_now, \(key) AS sort_key
                \(from) ORDER BY sort_key \(direction), devices.id \(direction)
                LIMIT \(FleetQuery.pageSize) OFFSET \((query.page - 1) * FleetQuery.pageSize)
            ) AS page
            ORDER BY page.sort_key \(direction), page.id \(direction)
            """)
        return FleetPage(
            rows: try rows.map { FleetPage.Row(device: try device(from: $0), activeSessions: try $0.int("active_sessions")) },
            total: total)
    }

    public func devices(ids: [String]) async throws -> [DeviceRecord] {
        guard !ids.isEmpty else { return [] }
        let list = StoreStatement.joined(ids.map { "\($0)" }, separator: ", ")
        return try await database.query("\(Self.devicesWithPresence) WHERE devices.id IN (\(list)) ORDER BY devices.id").map(
            device(from:))
    }

    /// `text` with LIKE's wildcards (and the escape character `!`) taken literally.
    static func likeEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "!" { escaped.append("!") }
            escaped.append(character)
        }
        return escaped
    }
}
