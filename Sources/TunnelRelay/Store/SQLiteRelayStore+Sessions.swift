import Foundation
import NIOCore
import SQLiteNIO

extension SQLiteRelayStore {
    public func createSession(_ session: SessionRecord) async throws {
        try await transaction { connection in
            guard try await !connection.query("SELECT id FROM devices WHERE id = ?", [.text(session.deviceID)]).isEmpty
            else { throw StoreError.deviceNotFound(session.deviceID) }
            _ = try await connection.query(
                """
                INSERT INTO sessions (id, device_id, mode, created_by, created_at, expires_at, token_hash, take_over)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(session.id), .text(session.deviceID), .integer(Int(session.mode.rawValue)),
                    .text(session.createdBy), .integer(session.createdAt.milliseconds),
                    .integer(session.expiresAt.milliseconds), .blob(ByteBuffer(bytes: session.tokenHash)),
                    .integer(session.takeOver ? 1 : 0),
                ])
            try await Self.insertAudit(.sessionCreated(session), on: connection)
        }
    }

    public func claimSession(id: String, secretHash: [UInt8], now: Date) async throws -> SessionClaim {
        try await transaction { connection in
            let session = try await connection.query("SELECT * FROM sessions WHERE id = ?", [.text(id)])
                .first.map(Self.session(from:))
            var claim = SessionClaim(session: session, secretHash: secretHash, now: now)
            if case .claimed(var claimed) = claim {
                // The conditional update is what makes the token single-use, also against
                // another process claiming through its own connection to the file.
                let won = try await connection.query(
                    "UPDATE sessions SET claimed_at = ? WHERE id = ? AND claimed_at IS NULL AND ended_at IS NULL RETURNING id",
                    [.integer(now.milliseconds), .text(id)])
                claimed.claimedAt = now.storedPrecision
                claim = won.isEmpty ? .used : .claimed(claimed)
            }
            try await Self.insertAudit(.sessionClaim(claim, sessionID: id, session: session, at: now), on: connection)
            return claim
        }
    }

    public func session(id: String) async throws -> SessionRecord? {
        try await query("SELECT * FROM sessions WHERE id = ?", [.text(id)]).first.map(Self.session(from:))
    }

    public func sessions(_ query: SessionQuery) async throws -> [SessionRecord] {
        var binds: [SQLiteData] = []
        let filter = query.conditions { value in
            binds.append(.text(value))
            return "?"
        }
        binds.append(.integer(max(0, query.limit)))
        return try await self.query(SessionQuery.selection(filter: filter, limit: "?"), binds).map(Self.session(from:))
    }

    public func endSession(id: String, ending: SessionEnding) async throws {
        try await transaction { connection in
            let rows = try await connection.query(
                """
                UPDATE sessions SET ended_at = ?, end_reason = ?, bytes_to_device = ?, bytes_from_device = ?
                WHERE id = ? AND ended_at IS NULL RETURNING *
                """,
                [
                    .integer(ending.endedAt.milliseconds), .text(ending.reason), .integer(Int(clamping: ending.bytesToDevice)),
                    .integer(Int(clamping: ending.bytesFromDevice)), .text(id),
                ])
            guard let ended = rows.first.map(Self.session(from:)) else { return }
            try await Self.insertAudit(.sessionEnded(ended, ending: ending), on: connection)
        }
    }
}
