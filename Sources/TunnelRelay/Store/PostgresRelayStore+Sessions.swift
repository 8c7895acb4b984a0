import Foundation
import NIOCore
import PostgresNIO

extension PostgresRelayStore {
    public func createSession(_ session: SessionRecord) async throws {
        try await transaction { connection in
            guard try await !Self.run("SELECT id FROM devices WHERE id = \(session.deviceID)", on: connection, self.logger).isEmpty
            else { throw StoreError.deviceNotFound(session.deviceID) }
            try await Self.run(
                """
                INSERT INTO sessions (id, device_id, mode, created_by, created_at, expires_at, token_hash, take_over)
                VALUES (\(session.id), \(session.deviceID), \(Int(session.mode.rawValue)), \(session.createdBy),
                    \(session.createdAt.storedPrecision), \(session.expiresAt.storedPrecision),
                    \(ByteBuffer(bytes: session.tokenHash)), \(session.takeOver))
                """, on: connection, self.logger)
            try await Self.insertAudit(.sessionCreated(session), on: connection, self.logger)
        }
    }

    public func claimSession(id: String, secretHash: [UInt8], now: Date) async throws -> SessionClaim {
        try await transaction { connection in
            let session = try await Self.run("SELECT * FROM sessions WHERE id = \(id)", on: connection, self.logger)
                .first.map(Self.session(from:))
            var claim = SessionClaim(session: session, secretHash: secretHash, now: now)
            if case .claimed(var claimed) = claim {
                // The conditional update is what makes the token single-use: of claims racing
                // past the checks above, on any node, one changes the row and the others wait
                // for its commit and then match nothing.
                let won = try await Self.run(
                    """
                    UPDATE sessions SET claimed_at = \(now.storedPrecision)
                    WHERE id = \(id) AND claimed_at IS NULL AND ended_at IS NULL RETURNING id
                    """, on: connection, self.logger)
                claimed.claimedAt = now.storedPrecision
                claim = won.isEmpty ? .used : .claimed(claimed)
            }
            try await Self.insertAudit(
                .sessionClaim(claim, sessionID: id, session: session, at: now), on: connection, self.logger)
            return claim
        }
    }

    public func session(id: String) async throws -> SessionRecord? {
        try await rows("SELECT * FROM sessions WHERE id = \(id)").first.map(Self.session(from:))
    }

    public func sessions(_ query: SessionQuery) async throws -> [SessionRecord] {
        var binds = PostgresBindings()
        let filter = query.conditions { value in
            binds.append(value)
            return "$\(binds.count)"
        }
        binds.append(Int64(max(0, query.limit)))
        let sql = SessionQuery.selection(filter: filter, limit: "$\(binds.count)")
        return try await rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map(Self.session(from:))
    }

    public func endSession(id: String, ending: SessionEnding) async throws {
        try await transaction { connection in
            let rows = try await Self.run(
                """
                UPDATE sessions SET ended_at = \(ending.endedAt.storedPrecision), end_reason = \(ending.reason),
                    bytes_to_device = \(Int64(clamping: ending.bytesToDevice)),
                    bytes_from_device = \(Int64(clamping: ending.bytesFromDevice))
                WHERE id = \(id) AND ended_at IS NULL RETURNING *
                """, on: connection, self.logger)
            guard let ended = try rows.first.map(Self.session(from:)) else { return }
            try await Self.insertAudit(.sessionEnded(ended, ending: ending), on: connection, self.logger)
        }
    }
}
