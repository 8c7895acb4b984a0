import Foundation

/// Users, their customers, and their API keys.
extension SQLRelayStore {
    public func addUser(_ user: UserRecord, by actor: String) async throws {
        try UserRecord.validate(id: user.id)
        let added = try await database.transaction { transaction in
            let inserted = try await transaction.query(
                """
                INSERT INTO users (id, role, created_at) VALUES (\(user.id), \(user.role.rawValue), \(user.createdAt))
                ON CONFLICT (id) DO NOTHING RETURNING id
                """)
            guard !inserted.isEmpty else { return false }
            for customer in user.customers {
                guard try await !transaction.query("SELECT id FROM customers WHERE id = \(customer)").isEmpty
                else { throw StoreError.customerNotFound(customer) }
                try await transaction.query("INSERT INTO user_customers (user_id, customer_id) VALUES (\(user.id), \(customer))")
            }
            try await Self.insertAudit(.userAdded(user, actor: actor), on: transaction)
            return true
        }
        guard added else { throw StoreError.userExists(user.id) }
    }

    public func changeUser(id: String, role: UserRole, customers: [String], at: Date, by actor: String) async throws
        -> UserRecord
    {
        try await database.transaction { transaction in
            guard let before = try await Self.users(id: id, on: transaction).first else { throw StoreError.userNotFound(id) }
            let after = UserRecord(id: id, role: role, customers: role == .admin ? [] : customers, createdAt: before.createdAt)
            try await transaction.query("UPDATE users SET role = \(role.rawValue) WHERE id = \(id)")
            try await transaction.query("DELETE FROM user_customers WHERE user_id = \(id)")
            for customer in after.customers {
                guard try await !transaction.query("SELECT id FROM customers WHERE id = \(customer)").isEmpty
                else { throw StoreError.customerNotFound(customer) }
                try await transaction.query("INSERT INTO user_customers (user_id, customer_id) VALUES (\(id), \(customer))")
            }
            try await Self.insertAudit(.userChanged(after, before: before, at: at, actor: actor), on: transaction)
            return after
        }
    }

    public func user(id: String) async throws -> UserRecord? {
        try await Self.users(id: id, on: database).first
    }

    public func users() async throws -> [UserRecord] {
        try await Self.users(id: nil, on: database)
    }

    public func createAPIKey(_ key: APIKeyRecord, by actor: String) async throws {
        try await database.transaction { transaction in
            guard try await !transaction.query("SELECT id FROM users WHERE id = \(key.userID)").isEmpty
            else { throw StoreError.userNotFound(key.userID) }
            try await transaction.query(
                """
                INSERT INTO api_keys (id, user_id, name, secret_hash, created_at)
                VALUES (\(key.id), \(key.userID), \(key.name), \(key.secretHash), \(key.createdAt))
                """)
            try await Self.insertAudit(.apiKeyCreated(key, actor: actor), on: transaction)
        }
    }

    public func apiKeys(userID: String?) async throws -> [APIKeyRecord] {
        let filter: StoreStatement = userID.map { "WHERE user_id = \($0)" } ?? ""
        return try await database.query("SELECT * FROM api_keys \(filter) ORDER BY created_at, id").map(Self.apiKey(from:))
    }

    public func revokeAPIKey(id: String, at: Date, by actor: String) async throws {
        let found = try await database.transaction { transaction in
            let rows = try await transaction.query(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, \(at)) WHERE id = \(id) RETURNING user_id")
            guard let owner = try rows.first?.string("user_id") else { return false }
            try await Self.insertAudit(
                AuditEntry(at: at, event: .apiKeyRevoked, actor: actor, userID: owner, reason: "key \(id)"), on: transaction)
            return true
        }
        guard found else { throw StoreError.apiKeyNotFound(id) }
    }

    public func verifyAPIKey(_ key: APIKey, now: Date) async throws -> APIKeyVerification {
        try await database.transaction { transaction in
            let stored = try await transaction.query("SELECT * FROM api_keys WHERE id = \(key.keyID)").first.map(Self.apiKey(from:))
            let outcome = APIKeyCheck(stored: stored, presented: key)
            guard case .good(var record) = outcome else {
                try await Self.insertAudit(outcome.refusalEntry(keyID: key.keyID, at: now), on: transaction)
                return outcome.refusal
            }
            if record.lastUsedIsStale(at: now) {
                try await transaction.query("UPDATE api_keys SET last_used_at = \(now) WHERE id = \(record.id)")
                record.lastUsedAt = now.storedPrecision
            }
            guard let user = try await Self.users(id: record.userID, on: transaction).first else { return .unknown }
            return .valid(record, user)
        }
    }

    /// Users (one when `id` is given) with their customers, by ID.
    private static func users(id: String?, on executor: any StoreExecutor) async throws -> [UserRecord] {
        let (userFilter, linkFilter): (StoreStatement, StoreStatement) =
            id.map { ("WHERE id = \($0)", "WHERE user_id = \($0)") } ?? ("", "")
        let users = try await executor.query("SELECT * FROM users \(userFilter) ORDER BY id")
        let links = try await executor.query("SELECT * FROM user_customers \(linkFilter) ORDER BY customer_id")
        var customers: [String: [String]] = [:]
        for link in links {
            customers[try link.string("user_id"), default: []].append(try link.string("customer_id"))
        }
        return try users.map { row in try Self.user(from: row, customers: customers[try row.string("id")] ?? []) }
    }
}
