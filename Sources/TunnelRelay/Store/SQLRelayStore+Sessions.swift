import Foundation
import SharedWire

/// Sessions: created, claimed once with their token, ended once, listed a page at a time.
extension SQLRelayStore {
    public func createSession(_ session: SessionRecord) async throws {
        try await database.transaction { transaction in
            guard try await !transaction.query("SELECT id FROM devices WHERE id = \(session.deviceID)").isEmpty
            else { throw StoreError.deviceNotFound(session.deviceID) }
            try await transaction.query(
                """
                INSERT INTO sessions (id, device_id, mode, created_by, created_at, expires_at, token_hash, take_over)
                VALUES (\(session.id), \(session.deviceID), \(Int(session.mode.rawValue)), \(session.createdBy),
                    \(session.createdAt), \(session.expiresAt), \(session.tokenHash), \(session.takeOver))
                """)
            try await Self.insertAudit(.sessionCreated(session), on: transaction)
        }
    }

    public func claimSession(id: String, secretHash: [UInt8], now: Date, node: String) async throws -> SessionClaim {
        let lease = self.lease
        return try await database.transaction { transaction in
            let session = try await Self.session(id: id, on: transaction)
            if let session, session.mode == .control {
                // Control claims of one device wait for each other here, on every node: each
                // then sees the ones before it (PostgreSQL; SQLite runs one writer at a time).
                try await transaction.query("SELECT id FROM devices WHERE id = \(session.deviceID)\(.rowLock)")
            }
            var claim = SessionClaim(session: session, secretHash: secretHash, now: now)
            if case .claimed(var claimed) = claim {
                // The conditional update is what makes the token single-use: of claims racing
                // past the checks above, in this process or another, on any node, one changes
                // the row and the others then match nothing.
                let won = try await transaction.query(
                    """
                    UPDATE sessions SET claimed_at = \(now), client_node = \(node)
                    WHERE id = \(id) AND claimed_at IS NULL AND ended_at IS NULL RETURNING id
                    """)
                claimed.claimedAt = now.storedPrecision
                claimed.clientNode = node
                claim = won.isEmpty ? .used : .claimed(claimed)
                if !won.isEmpty, claimed.mode == .control {
                    claim = try await Self.holdersElsewhere(of: claimed, lease: lease, now: now, on: transaction)
                }
            }
            try await Self.insertAudit(.sessionClaim(claim, sessionID: id, session: session, at: now), on: transaction)
            return claim
        }
    }

    /// A control session just claimed on `session.clientNode`, against the control sessions of
    /// its device that other live nodes run (the node's own are its broker's to judge): refused
    /// and ended while one runs, unless it takes over, in which case each one's node is asked
    /// to end it (`session.end_requested`, followed by every node). Sessions of a node whose
    /// lease ran out do not count: their node is gone.
    private static func holdersElsewhere(
        of session: SessionRecord, lease: NodeLease, now: Date, on transaction: any StoreExecutor
    ) async throws -> SessionClaim {
        let storeNow = try await storeNow(on: transaction)
        let liveSince = storeNow.addingTimeInterval(-lease.duration.inSeconds)
        let holders = try await transaction.query(
            """
            SELECT s.id, s.created_by, s.claimed_at, s.client_node FROM sessions s JOIN nodes n ON n.name = s.client_node
            WHERE s.device_id = \(session.deviceID) AND s.mode = \(Int(TunnelMessage.SessionMode.control.rawValue))
                AND s.claimed_at IS NOT NULL AND s.ended_at IS NULL AND s.id <> \(session.id)
                AND s.client_node <> \(session.clientNode ?? "") AND n.heartbeat_at >= \(liveSince)
            ORDER BY s.claimed_at
            """)
        guard let first = holders.first else { return .claimed(session) }
        if session.takeOver {
            let reason = "\(session.createdBy) (administrator) took over the control session"
            for holder in holders {
                try await insertAudit(
                    AuditEntry(
                        at: now, event: .sessionEndRequested, actor: AuditEntry.takeOverActor, deviceID: session.deviceID,
                        sessionID: try holder.string("id"), reason: reason),
                    on: transaction)
            }
            return .claimed(session)
        }
        let holder =
            "device \(session.deviceID) has a control session by \(try first.string("created_by")) since "
            + "\(try first.date("claimed_at")) on relay node \(try first.string("client_node"))"
        try await transaction.query(
            "UPDATE sessions SET ended_at = \(now), end_reason = \("refused: " + holder) WHERE id = \(session.id)")
        return .busy(holder)
    }

    public func session(id: String) async throws -> SessionRecord? {
        try await Self.session(id: id, on: database)
    }

    public func sessions(_ query: SessionQuery) async throws -> [SessionRecord] {
        var conditions: [StoreStatement] = []
        if let deviceID = query.deviceID { conditions.append("device_id = \(deviceID)") }
        if let createdBy = query.createdBy { conditions.append("created_by = \(createdBy)") }
        switch query.state {
        case nil: break
        case .waiting?: conditions.append("claimed_at IS NULL AND ended_at IS NULL")
        case .live?: conditions.append("claimed_at IS NOT NULL AND ended_at IS NULL")
        case .ended?: conditions.append("ended_at IS NOT NULL")
        }
        if let user = query.visibleTo {
            conditions.append(
                "device_id IN (SELECT d.id FROM devices d JOIN user_customers uc ON uc.customer_id = d.customer WHERE uc.user_id = \(user))"
            )
        }
        if let beforeID = query.beforeID {
            conditions.append("(created_at, id) < (SELECT created_at, id FROM sessions WHERE id = \(beforeID))")
        }
        let filter = StoreStatement.whereClause(conditions)
        return try await database.query(
            """
            SELECT * FROM (SELECT * FROM sessions \(filter) ORDER BY created_at DESC, id DESC LIMIT \(max(0, query.limit))) AS newest
            ORDER BY created_at, id
            """
        ).map(Self.session(from:))
    }

    public func endSession(id: String, ending: SessionEnding) async throws {
        try await database.transaction { transaction in
            let rows = try await transaction.query(
                """
                UPDATE sessions SET ended_at = \(ending.endedAt), end_reason = \(ending.reason),
                    bytes_to_device = \(Int(clamping: ending.bytesToDevice)), bytes_from_device = \(Int(clamping: ending.bytesFromDevice))
                WHERE id = \(id) AND ended_at IS NULL RETURNING *
                """)
            guard let ended = try rows.first.map(Self.session(from:)) else { return }
            try await Self.insertAudit(.sessionEnded(ended, ending: ending), on: transaction)
        }
    }

    private static func session(id: String, on executor: any StoreExecutor) async throws -> SessionRecord? {
        try await executor.query("SELECT * FROM sessions WHERE id = \(id)").first.map(Self.session(from:))
    }
}
