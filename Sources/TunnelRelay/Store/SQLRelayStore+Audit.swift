import Foundation

/// The audit log: entries written in the transaction of the change they record, and read by
/// device, user, time or entry ID.
extension SQLRelayStore {
    public func appendAudit(_ entry: AuditEntry) async throws {
        try await database.transaction { transaction in try await Self.insertAudit(entry, on: transaction) }
    }

    public func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry] {
        var conditions: [StoreStatement] = []
        if let deviceID = query.deviceID { conditions.append("device_id = \(deviceID)") }
        if let event = query.event { conditions.append("event = \(event)") }
        if let since = query.since { conditions.append("at >= \(since)") }
        if let until = query.until { conditions.append("at < \(until)") }
        if let afterID = query.afterID { conditions.append("id > \(afterID)") }
        if let beforeID = query.beforeID { conditions.append("id < \(beforeID)") }
        let limit = max(0, query.limit)
        // The oldest matches after an `afterID` cursor, else the newest matches, oldest first;
        // by ID (the insertion order) when a cursor is given, else by time.
        let order: StoreStatement = query.afterID != nil ? "id" : query.ordersByID ? "id DESC" : "at DESC, id DESC"
        if let userID = query.userID {
            conditions.append(Self.aboutUser(userID, conditions: conditions, order: order, limit: limit))
        }
        let filter = StoreStatement.whereClause(conditions)
        let statement: StoreStatement
        if query.afterID != nil {
            statement = "SELECT * FROM audit_log \(filter) ORDER BY \(order) LIMIT \(limit)"
        } else if query.ordersByID {
            statement = "SELECT * FROM (SELECT * FROM audit_log \(filter) ORDER BY \(order) LIMIT \(limit)) AS newest ORDER BY id"
        } else {
            statement = "SELECT * FROM (SELECT * FROM audit_log \(filter) ORDER BY \(order) LIMIT \(limit)) AS newest ORDER BY at, id"
        }
        return try await database.query(statement).map(Self.auditEntry(from:))
    }

    /// Entries about `userID` or made by them (`user_id` or `actor`), as the first `limit` in
    /// `order` of each column's matches: each side reads its own index in order and stops at
    /// `limit`, where `user_id = … OR actor = …` read every entry of a busy user and sorted them.
    /// The first `limit` of the union are among these.
    private static func aboutUser(_ userID: String, conditions: [StoreStatement], order: StoreStatement, limit: Int)
        -> StoreStatement
    {
        func side(_ column: StoreStatement) -> StoreStatement {
            let filter = StoreStatement.whereClause(conditions + ["\(column) = \(userID)"])
            return "SELECT id FROM (SELECT id FROM audit_log \(filter) ORDER BY \(order) LIMIT \(limit)) AS by_\(column)"
        }
        return "id IN (\(side("user_id")) UNION \(side("actor")))"
    }

    public var announcesChanges: Bool { database.dialect.changeNotice != nil }

    public func followChanges(_ onChange: @escaping @Sendable () -> Void) async {
        await database.followChanges(onChange)
    }

    static func insertAudit(_ entry: AuditEntry, on executor: any StoreExecutor) async throws {
        try await executor.query(
            """
            INSERT INTO audit_log (at, event, actor, user_id, device_id, session_id, mode, reason, source,
                started_at, bytes_to_device, bytes_from_device)
            VALUES (\(entry.at), \(entry.event.rawValue), \(entry.actor), \(entry.userID), \(entry.deviceID), \(entry.sessionID),
                \(entry.mode?.description), \(entry.reason), \(entry.source), \(entry.startedAt),
                \(entry.bytesToDevice.map { Int(clamping: $0) }), \(entry.bytesFromDevice.map { Int(clamping: $0) }))
            """)
        if AuditEvent.followedByEveryNode.contains(entry.event), let notice = executor.dialect.changeNotice {
            try await executor.query(notice, [])
        }
    }
}
