import Foundation
import PostgresNIO

extension PostgresRelayStore {
    public func addCustomer(_ customer: CustomerRecord, by actor: String) async throws {
        try CustomerRecord.validate(id: customer.id)
        let added = try await transaction { connection in
            guard try await Self.insertCustomer(customer, on: connection, self.logger) else { return false }
            try await Self.insertAudit(
                AuditEntry(at: customer.createdAt, event: .customerAdded, actor: actor, reason: customer.id),
                on: connection, self.logger)
            return true
        }
        guard added else { throw StoreError.customerExists(customer.id) }
    }

    public func customers() async throws -> [CustomerRecord] {
        try await rows("SELECT * FROM customers ORDER BY id").map(Self.customer(from:))
    }

    public func registerDevice(_ registration: DeviceRegistration) async throws -> DeviceRecord {
        try DeviceRecord.validate(id: registration.deviceID)
        try CustomerRecord.validate(id: registration.customer)
        let at = registration.at.storedPrecision
        let outcome: Result<DeviceRecord, StoreError> = try await transaction { connection in
            // One statement decides: a new ID is inserted, a reset one of the same customer is
            // taken again, and a registered one or another customer's is left alone (no row
            // returned). A racing insert waits for the winner's commit and then finds
            // `registered_at` set.
            let rows = try await Self.run(
                """
                INSERT INTO devices (id, customer, created_at, certificate_serial, registered_at)
                VALUES (\(registration.deviceID), \(registration.customer), \(at), \(registration.certificateSerial), \(at))
                ON CONFLICT (id) DO UPDATE SET
                    certificate_serial = EXCLUDED.certificate_serial, registered_at = EXCLUDED.registered_at,
                    revoked_at = NULL, pending_certificate_serial = ''
                WHERE devices.registered_at IS NULL AND devices.customer = EXCLUDED.customer
                RETURNING *
                """, on: connection, self.logger)
            let outcome: Result<DeviceRecord, StoreError>
            if let device = try rows.first.map(Self.device(from:)) {
                let customer = CustomerRecord(id: registration.customer, name: registration.customer, createdAt: at)
                _ = try await Self.insertCustomer(customer, on: connection, self.logger)
                outcome = .success(device)
            } else {
                let existing = try await Self.run("SELECT * FROM devices WHERE id = \(registration.deviceID)", on: connection, self.logger)
                    .first.map(Self.device(from:))
                outcome = .failure(registration.refusal(existing: existing))
            }
            try await Self.insertAudit(AuditEntry(registration, outcome: outcome), on: connection, self.logger)
            return outcome
        }
        return try outcome.get()
    }

    public func resetDevice(id: String, at: Date, by actor: String) async throws -> DeviceRecord {
        let reset: DeviceRecord? = try await transaction { connection in
            guard
                let before = try await Self.run("SELECT * FROM devices WHERE id = \(id) FOR UPDATE", on: connection, self.logger)
                    .first.map(Self.device(from:))
            else { return nil }
            let rows = try await Self.run(
                """
                UPDATE devices SET registered_at = NULL, certificate_serial = '', pending_certificate_serial = '',
                    revoked_at = COALESCE(revoked_at, \(at.storedPrecision))
                WHERE id = \(id) RETURNING *
                """, on: connection, self.logger)
            try await Self.insertAudit(
                .reset(deviceID: id, certificateSerial: before.certificateSerial, at: at, actor: actor),
                on: connection, self.logger)
            return try rows.first.map(Self.device(from:))
        }
        guard let reset else { throw StoreError.deviceNotFound(id) }
        return reset
    }

    public func revokeDevice(id: String, at: Date, by actor: String) async throws {
        let found = try await transaction { connection in
            let rows = try await Self.run(
                "UPDATE devices SET revoked_at = COALESCE(revoked_at, \(at.storedPrecision)) WHERE id = \(id) RETURNING id",
                on: connection, self.logger)
            guard !rows.isEmpty else { return false }
            try await Self.insertAudit(
                AuditEntry(at: at, event: .deviceRevoked, actor: actor, deviceID: id), on: connection, self.logger)
            return true
        }
        guard found else { throw StoreError.deviceNotFound(id) }
    }

    public func moveDevice(id: String, toCustomer customer: String, at: Date, by actor: String) async throws -> DeviceRecord {
        try CustomerRecord.validate(id: customer)
        let outcome: Result<DeviceRecord, StoreError> = try await transaction { connection in
            guard try await !Self.run("SELECT id FROM customers WHERE id = \(customer)", on: connection, self.logger).isEmpty else {
                return .failure(.customerNotFound(customer))
            }
            guard
                let before = try await Self.run("SELECT * FROM devices WHERE id = \(id) FOR UPDATE", on: connection, self.logger)
                    .first.map(Self.device(from:))
            else { return .failure(.deviceNotFound(id)) }
            guard before.customer != customer else { return .success(before) }
            let rows = try await Self.run(
                "UPDATE devices SET customer = \(customer) WHERE id = \(id) RETURNING *", on: connection, self.logger)
            try await Self.insertAudit(
                .moved(deviceID: id, from: before.customer, to: customer, at: at, actor: actor), on: connection, self.logger)
            return try rows.first.map { .success(try Self.device(from: $0)) } ?? .failure(.deviceNotFound(id))
        }
        return try outcome.get()
    }

    public func replaceCertificate(deviceID: String, serial: String, at: Date, by actor: String) async throws {
        let found = try await transaction { connection in
            let rows = try await Self.run(
                """
                UPDATE devices SET certificate_serial = \(serial), pending_certificate_serial = ''
                WHERE id = \(deviceID) AND registered_at IS NOT NULL RETURNING id
                """, on: connection, self.logger)
            guard !rows.isEmpty else { return false }
            try await Self.insertAudit(
                .credentialChanged(deviceID: deviceID, certificateSerial: serial, at: at, actor: actor),
                on: connection, self.logger)
            return true
        }
        guard found else { throw StoreError.deviceNotFound(deviceID) }
    }

    public func offerCertificate(deviceID: String, serial: String, at: Date, by actor: String) async throws {
        let found = try await transaction { connection in
            let rows = try await Self.run(
                """
                UPDATE devices SET pending_certificate_serial = \(serial)
                WHERE id = \(deviceID) AND registered_at IS NOT NULL AND revoked_at IS NULL RETURNING id
                """, on: connection, self.logger)
            guard !rows.isEmpty else { return false }
            try await Self.insertAudit(
                .certificateOffered(deviceID: deviceID, certificateSerial: serial, at: at, actor: actor),
                on: connection, self.logger)
            return true
        }
        guard found else { throw StoreError.deviceNotFound(deviceID) }
    }

    public func promoteCertificate(deviceID: String, serial: String, at: Date, by actor: String) async throws -> Bool {
        try await transaction { connection in
            let rows = try await Self.run(
                """
                UPDATE devices SET certificate_serial = pending_certificate_serial, pending_certificate_serial = ''
                WHERE id = \(deviceID) AND pending_certificate_serial = \(serial) AND pending_certificate_serial <> ''
                RETURNING id
                """, on: connection, self.logger)
            guard !rows.isEmpty else { return false }
            try await Self.insertAudit(
                .credentialChanged(deviceID: deviceID, certificateSerial: serial, at: at, actor: actor),
                on: connection, self.logger)
            return true
        }
    }

    public func device(id: String) async throws -> DeviceRecord? {
        try await rows("SELECT * FROM devices WHERE id = \(id)").first.map(Self.device(from:))
    }

    public func devices() async throws -> [DeviceRecord] {
        try await rows("SELECT * FROM devices ORDER BY id").map(Self.device(from:))
    }

    public func devices(visibleTo user: UserRecord) async throws -> [DeviceRecord] {
        if user.role == .admin { return try await devices() }
        return try await rows(
            """
            SELECT d.* FROM devices d JOIN user_customers uc ON uc.customer_id = d.customer
            WHERE uc.user_id = \(user.id) ORDER BY d.id
            """
        ).map(Self.device(from:))
    }

    // MARK: Presence

    public func markOnline(deviceID: String, remoteAddress: String, agentVersion: String, relayNode: String, at: Date) async throws {
        try await rows(
            """
            UPDATE devices SET online = TRUE, last_seen_at = \(at.storedPrecision), remote_address = \(remoteAddress),
                agent_version = \(agentVersion), relay_node = \(relayNode)
            WHERE id = \(deviceID)
            """)
    }

    public func markSeen(deviceID: String, relayNode: String, at: Date) async throws {
        try await rows(
            """
            UPDATE devices SET last_seen_at = \(at.storedPrecision)
            WHERE id = \(deviceID) AND relay_node = \(relayNode) AND online
            """)
    }

    public func markOffline(deviceID: String, relayNode: String, at: Date) async throws {
        try await rows(
            """
            UPDATE devices SET online = FALSE, last_seen_at = \(at.storedPrecision)
            WHERE id = \(deviceID) AND relay_node = \(relayNode) AND online
            """)
    }

    public func markNodeOffline(relayNode: String, at: Date) async throws {
        try await rows("UPDATE devices SET online = FALSE WHERE relay_node = \(relayNode) AND online")
    }

    /// Inserts `customer` unless its ID exists; returns whether it did.
    static func insertCustomer(_ customer: CustomerRecord, on connection: PostgresConnection, _ logger: Logger) async throws -> Bool {
        try await !run(
            """
            INSERT INTO customers (id, name, created_at)
            VALUES (\(customer.id), \(customer.name), \(customer.createdAt.storedPrecision))
            ON CONFLICT (id) DO NOTHING RETURNING id
            """, on: connection, logger
        ).isEmpty
    }
}
