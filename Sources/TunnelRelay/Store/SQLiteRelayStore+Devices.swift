import Foundation
import SQLiteNIO

extension SQLiteRelayStore {
    public func addCustomer(_ customer: CustomerRecord, by actor: String) async throws {
        try CustomerRecord.validate(id: customer.id)
        let added = try await transaction { connection in
            guard try await Self.insertCustomer(customer, on: connection) else { return false }
            try await Self.insertAudit(
                AuditEntry(at: customer.createdAt, event: .customerAdded, actor: actor, reason: customer.id), on: connection)
            return true
        }
        guard added else { throw StoreError.customerExists(customer.id) }
    }

    public func customers() async throws -> [CustomerRecord] {
        try await query("SELECT * FROM customers ORDER BY id").map(Self.customer(from:))
    }

    public func registerDevice(_ registration: DeviceRegistration) async throws -> DeviceRecord {
        try DeviceRecord.validate(id: registration.deviceID)
        try CustomerRecord.validate(id: registration.customer)
        let at = registration.at.milliseconds
        let outcome: Result<DeviceRecord, StoreError> = try await transaction { connection in
            // One statement decides: a new ID is inserted, a reset one of the same customer is
            // taken again, and a registered one or another customer's is left alone (no row
            // returned). Racing registrations cannot both win.
            let rows = try await connection.query(
                """
                INSERT INTO devices (id, customer, created_at, certificate_serial, registered_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET
                    certificate_serial = excluded.certificate_serial, registered_at = excluded.registered_at,
                    revoked_at = NULL, pending_certificate_serial = ''
                WHERE devices.registered_at IS NULL AND devices.customer = excluded.customer
                RETURNING *
                """,
                [
                    .text(registration.deviceID), .text(registration.customer), .integer(at),
                    .text(registration.certificateSerial), .integer(at),
                ])
            let outcome: Result<DeviceRecord, StoreError>
            if let device = rows.first.map(Self.device(from:)) {
                let customer = CustomerRecord(id: registration.customer, name: registration.customer, createdAt: registration.at)
                _ = try await Self.insertCustomer(customer, on: connection)
                outcome = .success(device)
            } else {
                let existing = try await connection.query("SELECT * FROM devices WHERE id = ?", [.text(registration.deviceID)])
                    .first.map(Self.device(from:))
                outcome = .failure(registration.refusal(existing: existing))
            }
            try await Self.insertAudit(AuditEntry(registration, outcome: outcome), on: connection)
            return outcome
        }
        return try outcome.get()
    }

    public func resetDevice(id: String, at: Date, by actor: String) async throws -> DeviceRecord {
        let reset: DeviceRecord? = try await transaction { connection in
            guard let before = try await connection.query("SELECT * FROM devices WHERE id = ?", [.text(id)]).first
            else { return nil }
            let rows = try await connection.query(
                """
                UPDATE devices SET registered_at = NULL, certificate_serial = '', pending_certificate_serial = '', revoked_at = COALESCE(revoked_at, ?)
                WHERE id = ? RETURNING *
                """,
                [.integer(at.milliseconds), .text(id)])
            try await Self.insertAudit(
                .reset(deviceID: id, certificateSerial: Self.device(from: before).certificateSerial, at: at, actor: actor),
                on: connection)
            return rows.first.map(Self.device(from:))
        }
        guard let reset else { throw StoreError.deviceNotFound(id) }
        return reset
    }

    public func revokeDevice(id: String, at: Date, by actor: String) async throws {
        let found = try await transaction { connection in
            let rows = try await connection.query(
                "UPDATE devices SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING id",
                [.integer(at.milliseconds), .text(id)])
            guard !rows.isEmpty else { return false }
            try await Self.insertAudit(AuditEntry(at: at, event: .deviceRevoked, actor: actor, deviceID: id), on: connection)
            return true
        }
        guard found else { throw StoreError.deviceNotFound(id) }
    }

    public func moveDevice(id: String, toCustomer customer: String, at: Date, by actor: String) async throws -> DeviceRecord {
        try CustomerRecord.validate(id: customer)
        let outcome: Result<DeviceRecord, StoreError> = try await transaction { connection in
            guard try await !connection.query("SELECT id FROM customers WHERE id = ?", [.text(customer)]).isEmpty else {
                return .failure(.customerNotFound(customer))
            }
            guard let before = try await connection.query("SELECT * FROM devices WHERE id = ?", [.text(id)]).first.map(Self.device(from:))
            else { return .failure(.deviceNotFound(id)) }
            guard before.customer != customer else { return .success(before) }
            let rows = try await connection.query("UPDATE devices SET customer = ? WHERE id = ? RETURNING *", [.text(customer), .text(id)])
            try await Self.insertAudit(.moved(deviceID: id, from: before.customer, to: customer, at: at, actor: actor), on: connection)
            return rows.first.map { .success(Self.device(from: $0)) } ?? .failure(.deviceNotFound(id))
        }
        return try outcome.get()
    }

    public func replaceCertificate(deviceID: String, serial: String, at: Date, by actor: String) async throws {
        let found = try await transaction { connection in
            let rows = try await connection.query(
                "UPDATE devices SET certificate_serial = ?, pending_certificate_serial = '' WHERE id = ? AND registered_at IS NOT NULL RETURNING id",
                [.text(serial), .text(deviceID)])
            guard !rows.isEmpty else { return false }
            try await Self.insertAudit(
                .credentialChanged(deviceID: deviceID, certificateSerial: serial, at: at, actor: actor), on: connection)
            return true
        }
        guard found else { throw StoreError.deviceNotFound(deviceID) }
    }

    public func offerCertificate(deviceID: String, serial: String, at: Date, by actor: String) async throws {
        let found = try await transaction { connection in
            let rows = try await connection.query(
                """
                UPDATE devices SET pending_certificate_serial = ?
                WHERE id = ? AND registered_at IS NOT NULL AND revoked_at IS NULL RETURNING id
                """,
                [.text(serial), .text(deviceID)])
            guard !rows.isEmpty else { return false }
            try await Self.insertAudit(
                .certificateOffered(deviceID: deviceID, certificateSerial: serial, at: at, actor: actor), on: connection)
            return true
        }
        guard found else { throw StoreError.deviceNotFound(deviceID) }
    }

    public func promoteCertificate(deviceID: String, serial: String, at: Date, by actor: String) async throws -> Bool {
        try await transaction { connection in
            let rows = try await connection.query(
                """
                UPDATE devices SET certificate_serial = pending_certificate_serial, pending_certificate_serial = ''
                WHERE id = ? AND pending_certificate_serial = ? AND pending_certificate_serial <> '' RETURNING id
                """,
                [.text(deviceID), .text(serial)])
            guard !rows.isEmpty else { return false }
            try await Self.insertAudit(
                .credentialChanged(deviceID: deviceID, certificateSerial: serial, at: at, actor: actor), on: connection)
            return true
        }
    }

    public func device(id: String) async throws -> DeviceRecord? {
        try await query("SELECT * FROM devices WHERE id = ?", [.text(id)]).first.map(Self.device(from:))
    }

    public func devices() async throws -> [DeviceRecord] {
        try await query("SELECT * FROM devices ORDER BY id").map(Self.device(from:))
    }

    public func devices(visibleTo user: UserRecord) async throws -> [DeviceRecord] {
        if user.role == .admin { return try await devices() }
        return try await query(
            """
            SELECT d.* FROM devices d JOIN user_customers uc ON uc.customer_id = d.customer
            WHERE uc.user_id = ? ORDER BY d.id
            """,
            [.text(user.id)]
        ).map(Self.device(from:))
    }

    // MARK: Presence

    public func markOnline(deviceID: String, remoteAddress: String, agentVersion: String, relayNode: String, at: Date) async throws {
        _ = try await query(
            """
            UPDATE devices SET online = 1, last_seen_at = ?, remote_address = ?, agent_version = ?, relay_node = ?
            WHERE id = ?
            """,
            [.integer(at.milliseconds), .text(remoteAddress), .text(agentVersion), .text(relayNode), .text(deviceID)])
    }

    public func markSeen(deviceID: String, relayNode: String, at: Date) async throws {
        _ = try await query(
            "UPDATE devices SET last_seen_at = ? WHERE id = ? AND relay_node = ? AND online = 1",
            [.integer(at.milliseconds), .text(deviceID), .text(relayNode)])
    }

    public func markOffline(deviceID: String, relayNode: String, at: Date) async throws {
        _ = try await query(
            "UPDATE devices SET online = 0, last_seen_at = ? WHERE id = ? AND relay_node = ? AND online = 1",
            [.integer(at.milliseconds), .text(deviceID), .text(relayNode)])
    }

    public func markNodeOffline(relayNode: String, at: Date) async throws {
        _ = try await query(
            "UPDATE devices SET online = 0 WHERE relay_node = ? AND online = 1", [.text(relayNode)])
    }

    /// Inserts `customer` unless its ID exists; returns whether it did.
    static func insertCustomer(_ customer: CustomerRecord, on connection: SQLiteConnection) async throws -> Bool {
        try await !connection.query(
            "INSERT INTO customers (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING RETURNING id",
            [.text(customer.id), .text(customer.name), .integer(customer.createdAt.milliseconds)]
        ).isEmpty
    }
}
