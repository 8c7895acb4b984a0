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
        if let userID = query.userID { conditions.append("(user_id = \(userID) OR actor = \(userID))") }
        if let event = query.event { conditions.append("event = \(event)") }
        if let since = query.since { conditions.append("at >= \(since)") }
        if let until = query.until { conditions.append("at < \(until)") }
        if let afterID = query.afterID { conditions.append("id > \(afterID)") }
        if let beforeID = query.beforeID { conditions.append("id < \(beforeID)") }
        let filter = StoreStatement.whereClause(conditions)
        let limit = max(0, query.limit)
        // The oldest matches after an `afterID` cursor, else the newest matches, oldest first;
        // by ID (the insertion order) when a cursor is given, else by time.
        let statement: StoreStatement
        if query.afterID != nil {
            statement = "SELECT * FROM audit_log \(filter) ORDER BY id LIMIT \(limit)"
        } else if query.ordersByID {
            statement = "SELECT * FROM (SELECT * FROM audit_log \(filter) ORDER BY id DESC LIMIT \(limit)) AS newest ORDER BY id"
        } else {
            statement =
                "SELECT * FROM (SELECT * FROM audit_log \(filter) ORDER BY at DESC, id DESC LIMIT \(limit)) AS newest ORDER BY at, id"
        }
        return try await database.query(statement).map(Self.auditEntry(from:))
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
