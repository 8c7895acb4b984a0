import Foundation

/// The web console's passwords and signed-in sessions.
extension SQLRelayStore {
    public func setPassword(userID: String, hash: String, at: Date, by actor: String) async throws {
        let found = try await database.transaction { transaction in
            let rows = try await transaction.query("UPDATE users SET password_hash = \(hash) WHERE id = \(userID) RETURNING id")
            guard !rows.isEmpty else { return false }
            // A new password ends the sessions signed in with the old one.
            try await transaction.query("DELETE FROM console_sessions WHERE user_id = \(userID)")
            try await Self.insertAudit(AuditEntry(at: at, event: .passwordSet, actor: actor, userID: userID), on: transaction)
            return true
        }
        guard found else { throw StoreError.userNotFound(userID) }
    }

    public func passwordHash(userID: String) async throws -> String? {
        try await database.query("SELECT password_hash FROM users WHERE id = \(userID)").first?.optionalString("password_hash")
    }

    public func createConsoleSession(_ session: ConsoleSessionRecord, expiredBefore: Date, idleBefore: Date) async throws {
        try await database.transaction { transaction in
            try await transaction.query(
                "DELETE FROM console_sessions WHERE created_at < \(expiredBefore) OR last_used_at < \(idleBefore)")
            try await transaction.query(
                """
                INSERT INTO console_sessions (token_hash, user_id, csrf_token, created_at, last_used_at)
                VALUES (\(session.tokenHash), \(session.userID), \(session.csrfToken), \(session.createdAt), \(session.lastUsedAt))
                """)
        }
    }

    public func consoleSession(tokenHash: [UInt8]) async throws -> ConsoleSessionRecord? {
        try await database.query("SELECT * FROM console_sessions WHERE token_hash = \(tokenHash)").first.map(Self.consoleSession)
    }

    public func consoleSessions(userID: String) async throws -> [ConsoleSessionRecord] {
        try await database.query(
            "SELECT * FROM console_sessions WHERE user_id = \(userID) ORDER BY last_used_at DESC, created_at DESC"
        ).map(Self.consoleSession)
    }

    public func deleteConsoleSessions(userID: String, except kept: [UInt8]) async throws -> Int {
        try await database.query(
            "DELETE FROM console_sessions WHERE user_id = \(userID) AND token_hash <> \(kept) RETURNING user_id"
        ).count
    }

    private static func consoleSession(_ row: StoreRow) throws -> ConsoleSessionRecord {
        ConsoleSessionRecord(
            tokenHash: try row.bytes("token_hash"), userID: try row.string("user_id"), csrfToken: try row.string("csrf_token"),
            createdAt: try row.date("created_at"), lastUsedAt: try row.date("last_used_at"))
    }

    public func touchConsoleSession(tokenHash: [UInt8], at: Date) async throws {
        try await database.query("UPDATE console_sessions SET last_used_at = \(at) WHERE token_hash = \(tokenHash)")
    }

    public func deleteConsoleSession(tokenHash: [UInt8]) async throws {
        try await database.query("DELETE FROM console_sessions WHERE token_hash = \(tokenHash)")
    }
}
