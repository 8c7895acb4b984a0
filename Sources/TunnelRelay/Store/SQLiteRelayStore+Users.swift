import Foundation
import NIOCore
import SQLiteNIO

extension SQLiteRelayStore {
    public func addUser(_ user: UserRecord, by actor: String) async throws {
        try UserRecord.validate(id: user.id)
        let added = try await transaction { connection in
            let inserted = try await connection.query(
                "INSERT INTO users (id, role, created_at) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING RETURNING id",
                [.text(user.id), .text(user.role.rawValue), .integer(user.createdAt.milliseconds)])
            guard !inserted.isEmpty else { return false }
            for customer in user.customers {
                guard try await !connection.query("SELECT id FROM customers WHERE id = ?", [.text(customer)]).isEmpty
                else { throw StoreError.customerNotFound(customer) }
                _ = try await connection.query(
                    "INSERT INTO user_customers (user_id, customer_id) VALUES (?, ?)", [.text(user.id), .text(customer)])
            }
            try await Self.insertAudit(.userAdded(user, actor: actor), on: connection)
            return true
        }
        guard added else { throw StoreError.userExists(user.id) }
    }

    public func user(id: String) async throws -> UserRecord? {
        try await Self.loadUsers(id: id) { try await self.query($0, $1) }.first
    }

    public func users() async throws -> [UserRecord] {
        try await Self.loadUsers(id: nil) { try await self.query($0, $1) }
    }

    public func createAPIKey(_ key: APIKeyRecord, by actor: String) async throws {
        try await transaction { connection in
            guard try await !connection.query("SELECT id FROM users WHERE id = ?", [.text(key.userID)]).isEmpty
            else { throw StoreError.userNotFound(key.userID) }
            _ = try await connection.query(
                "INSERT INTO api_keys (id, user_id, name, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                [
                    .text(key.id), .text(key.userID), .text(key.name), .blob(ByteBuffer(bytes: key.secretHash)),
                    .integer(key.createdAt.milliseconds),
                ])
            try await Self.insertAudit(.apiKeyCreated(key, actor: actor), on: connection)
        }
    }

    public func apiKeys(userID: String?) async throws -> [APIKeyRecord] {
        if let userID {
            return try await query("SELECT * FROM api_keys WHERE user_id = ? ORDER BY created_at, id", [.text(userID)])
                .map(Self.apiKey(from:))
        }
        return try await query("SELECT * FROM api_keys ORDER BY created_at, id").map(Self.apiKey(from:))
    }

    public func revokeAPIKey(id: String, at: Date, by actor: String) async throws {
        let found = try await transaction { connection in
            let rows = try await connection.query(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING user_id",
                [.integer(at.milliseconds), .text(id)])
            guard let owner = rows.first?.column("user_id")?.string else { return false }
            try await Self.insertAudit(
                AuditEntry(at: at, event: .apiKeyRevoked, actor: actor, userID: owner, reason: "key \(id)"), on: connection)
            return true
        }
        guard found else { throw StoreError.apiKeyNotFound(id) }
    }

    public func verifyAPIKey(_ key: APIKey, now: Date) async throws -> APIKeyVerification {
        try await transaction { connection in
            let stored = try await connection.query("SELECT * FROM api_keys WHERE id = ?", [.text(key.keyID)])
                .first.map(Self.apiKey(from:))
            let outcome = APIKeyCheck(stored: stored, presented: key)
            guard case .good(var record) = outcome else {
                try await Self.insertAudit(outcome.refusalEntry(keyID: key.keyID, at: now), on: connection)
                return outcome.refusal
            }
            if record.lastUsedIsStale(at: now) {
                _ = try await connection.query(
                    "UPDATE api_keys SET last_used_at = ? WHERE id = ?", [.integer(now.milliseconds), .text(record.id)])
                record.lastUsedAt = now.storedPrecision
            }
            guard let user = try await Self.loadUsers(id: record.userID, { try await connection.query($0, $1) }).first
            else { return .unknown }
            return .valid(record, user)
        }
    }

    /// Users (one when `id` is given) with their customers, through `run`.
    private static func loadUsers(
        id: String?, _ run: (String, [SQLiteData]) async throws -> [SQLiteRow]
    ) async throws -> [UserRecord] {
        let binds: [SQLiteData] = id.map { [.text($0)] } ?? []
        let users = try await run("SELECT * FROM users \(id == nil ? "" : "WHERE id = ?") ORDER BY id", binds)
        let links = try await run(
            "SELECT * FROM user_customers \(id == nil ? "" : "WHERE user_id = ?") ORDER BY customer_id", binds)
        return assemble(users: users, links: links)
    }

    private static func assemble(users: [SQLiteRow], links: [SQLiteRow]) -> [UserRecord] {
        var customers: [String: [String]] = [:]
        for link in links {
            customers[link.column("user_id")?.string ?? "", default: []].append(link.column("customer_id")?.string ?? "")
        }
        return users.map { row in
            let id = row.column("id")?.string ?? ""
            return UserRecord(
                id: id, role: UserRole(rawValue: row.column("role")?.string ?? "") ?? .viewer,
                customers: customers[id] ?? [], createdAt: Date(milliseconds: row.column("created_at")?.integer))
        }
    }
}
