import Foundation
import NIOCore
import PostgresNIO

extension PostgresRelayStore {
    public func addUser(_ user: UserRecord, by actor: String) async throws {
        try UserRecord.validate(id: user.id)
        let added = try await transaction { connection in
            let inserted = try await Self.run(
                """
                INSERT INTO users (id, role, created_at) VALUES (\(user.id), \(user.role.rawValue), \(user.createdAt.storedPrecision))
                ON CONFLICT (id) DO NOTHING RETURNING id
                """, on: connection, self.logger)
            guard !inserted.isEmpty else { return false }
            for customer in user.customers {
                guard try await !Self.run("SELECT id FROM customers WHERE id = \(customer)", on: connection, self.logger).isEmpty
                else { throw StoreError.customerNotFound(customer) }
                try await Self.run(
                    "INSERT INTO user_customers (user_id, customer_id) VALUES (\(user.id), \(customer))",
                    on: connection, self.logger)
            }
            try await Self.insertAudit(.userAdded(user, actor: actor), on: connection, self.logger)
            return true
        }
        guard added else { throw StoreError.userExists(user.id) }
    }

    public func user(id: String) async throws -> UserRecord? {
        try await client.withConnection { try await Self.loadUsers(id: id, on: $0, self.logger) }.first
    }

    public func users() async throws -> [UserRecord] {
        try await client.withConnection { try await Self.loadUsers(id: nil, on: $0, self.logger) }
    }

    public func createAPIKey(_ key: APIKeyRecord, by actor: String) async throws {
        try await transaction { connection in
            guard try await !Self.run("SELECT id FROM users WHERE id = \(key.userID)", on: connection, self.logger).isEmpty
            else { throw StoreError.userNotFound(key.userID) }
            try await Self.run(
                """
                INSERT INTO api_keys (id, user_id, name, secret_hash, created_at)
                VALUES (\(key.id), \(key.userID), \(key.name), \(ByteBuffer(bytes: key.secretHash)), \(key.createdAt.storedPrecision))
                """, on: connection, self.logger)
            try await Self.insertAudit(.apiKeyCreated(key, actor: actor), on: connection, self.logger)
        }
    }

    public func apiKeys(userID: String?) async throws -> [APIKeyRecord] {
        if let userID {
            return try await rows("SELECT * FROM api_keys WHERE user_id = \(userID) ORDER BY created_at, id")
                .map(Self.apiKey(from:))
        }
        return try await rows("SELECT * FROM api_keys ORDER BY created_at, id").map(Self.apiKey(from:))
    }

    public func revokeAPIKey(id: String, at: Date, by actor: String) async throws {
        let found = try await transaction { connection in
            let rows = try await Self.run(
                """
                UPDATE api_keys SET revoked_at = COALESCE(revoked_at, \(at.storedPrecision))
                WHERE id = \(id) RETURNING user_id
                """, on: connection, self.logger)
            guard let owner = try rows.first?.makeRandomAccess()["user_id"].decode(String.self) else { return false }
            try await Self.insertAudit(
                AuditEntry(at: at, event: .apiKeyRevoked, actor: actor, userID: owner, reason: "key \(id)"),
                on: connection, self.logger)
            return true
        }
        guard found else { throw StoreError.apiKeyNotFound(id) }
    }

    public func verifyAPIKey(_ key: APIKey, now: Date) async throws -> APIKeyVerification {
        try await transaction { connection in
            let stored = try await Self.run("SELECT * FROM api_keys WHERE id = \(key.keyID)", on: connection, self.logger)
                .first.map(Self.apiKey(from:))
            let outcome = APIKeyCheck(stored: stored, presented: key)
            guard case .good(var record) = outcome else {
                try await Self.insertAudit(outcome.refusalEntry(keyID: key.keyID, at: now), on: connection, self.logger)
                return outcome.refusal
            }
            if record.lastUsedIsStale(at: now) {
                try await Self.run(
                    "UPDATE api_keys SET last_used_at = \(now.storedPrecision) WHERE id = \(record.id)",
                    on: connection, self.logger)
                record.lastUsedAt = now.storedPrecision
            }
            guard let user = try await Self.loadUsers(id: record.userID, on: connection, self.logger).first
            else { return .unknown }
            return .valid(record, user)
        }
    }

    /// Users (one when `id` is given) with their customers.
    private static func loadUsers(id: String?, on connection: PostgresConnection, _ logger: Logger) async throws -> [UserRecord] {
        let users: [PostgresRow]
        let links: [PostgresRow]
        if let id {
            users = try await run("SELECT * FROM users WHERE id = \(id)", on: connection, logger)
            links = try await run("SELECT * FROM user_customers WHERE user_id = \(id) ORDER BY customer_id", on: connection, logger)
        } else {
            users = try await run("SELECT * FROM users ORDER BY id", on: connection, logger)
            links = try await run("SELECT * FROM user_customers ORDER BY customer_id", on: connection, logger)
        }
        var customers: [String: [String]] = [:]
        for link in links {
            let row = link.makeRandomAccess()
            customers[try row["user_id"].decode(String.self), default: []].append(try row["customer_id"].decode(String.self))
        }
        return try users.map { user in
            let row = PostgresRecordRow(user)
            let id = try row.string("id")
            return UserRecord(
                id: id, role: UserRole(rawValue: try row.string("role")) ?? .viewer, customers: customers[id] ?? [],
                createdAt: try row.date("created_at"))
        }
    }
}
