import Foundation

/// Customers and devices: registration once, reset, revocation, moves and certificates.
extension SQLRelayStore {
    public func addCustomer(_ customer: CustomerRecord, by actor: String) async throws {
        try CustomerRecord.validate(id: customer.id)
        let added = try await database.transaction { transaction in
            guard try await Self.insertCustomer(customer, on: transaction) else { return false }
            try await Self.insertAudit(
                AuditEntry(at: customer.createdAt, event: .customerAdded, actor: actor, reason: customer.id), on: transaction)
            return true
        }
        guard added else { throw StoreError.customerExists(customer.id) }
    }

    public func customers() async throws -> [CustomerRecord] {
        try await database.query("SELECT * FROM customers ORDER BY id").map(Self.customer(from:))
    }

    public func registerDevice(_ registration: DeviceRegistration) async throws -> DeviceRecord {
        try DeviceRecord.validate(id: registration.deviceID)
        try CustomerRecord.validate(id: registration.customer)
        let at = registration.at.storedPrecision
        let outcome: Result<DeviceRecord, StoreError> = try await database.transaction { transaction in
            // One statement decides: a new ID is inserted, a reset one of the same customer is
            // taken again, and a registered one or another customer's is left alone (no row
            // returned). Racing registrations cannot both win: SQLite serialises writers, and
            // in PostgreSQL a racing insert waits for the winner's commit and then finds
            // `registered_at` set.
            let rows = try await transaction.query(
                """
                INSERT INTO devices (id, customer, created_at, certificate_serial, registered_at)
                VALUES (\(registration.deviceID), \(registration.customer), \(at), \(registration.certificateSerial), \(at))
                ON CONFLICT (id) DO UPDATE SET
                    certificate_serial = excluded.certificate_serial, registered_at = excluded.registered_at,
                    revoked_at = NULL, pending_certificate_serial = ''
                WHERE devices.registered_at IS NULL AND devices.customer = excluded.customer
                RETURNING id
                """)
            let outcome: Result<DeviceRecord, StoreError>
            if !rows.isEmpty, let device = try await self.device(id: registration.deviceID, on: transaction) {
                let customer = CustomerRecord(id: registration.customer, name: registration.customer, createdAt: at)
                _ = try await Self.insertCustomer(customer, on: transaction)
                outcome = .success(device)
            } else {
                let existing = try await self.device(id: registration.deviceID, on: transaction)
                outcome = .failure(registration.refusal(existing: existing))
            }
            try await Self.insertAudit(AuditEntry(registration, outcome: outcome), on: transaction)
            return outcome
        }
        return try outcome.get()
    }

    public func resetDevice(id: String, at: Date, by actor: String) async throws -> DeviceRecord {
        let reset: DeviceRecord? = try await database.transaction { transaction in
            guard let before = try await self.device(id: id, on: transaction, locked: true) else { return nil }
            try await transaction.query(
                """
                UPDATE devices SET registered_at = NULL, certificate_serial = '', pending_certificate_serial = '',
                    revoked_at = COALESCE(revoked_at, \(at))
                WHERE id = \(id)
                """)
            try await Self.insertAudit(
                .reset(deviceID: id, certificateSerial: before.certificateSerial, at: at, actor: actor), on: transaction)
            return try await self.device(id: id, on: transaction)
        }
        guard let reset else { throw StoreError.deviceNotFound(id) }
        return reset
    }

    public func revokeDevice(id: String, at: Date, by actor: String) async throws {
        let found = try await database.transaction { transaction in
            let rows = try await transaction.query(
                "UPDATE devices SET revoked_at = COALESCE(revoked_at, \(at)) WHERE id = \(id) RETURNING id")
            guard !rows.isEmpty else { return false }
            try await Self.insertAudit(AuditEntry(at: at, event: .deviceRevoked, actor: actor, deviceID: id), on: transaction)
            return true
        }
        guard found else { throw StoreError.deviceNotFound(id) }
    }

    public func moveDevice(id: String, toCustomer customer: String, at: Date, by actor: String) async throws -> DeviceRecord {
        try CustomerRecord.validate(id: customer)
        let outcome: Result<DeviceRecord, StoreError> = try await database.transaction { transaction in
            guard try await !transaction.query("SELECT id FROM customers WHERE id = \(customer)").isEmpty else {
                return .failure(.customerNotFound(customer))
            }
            guard let before = try await self.device(id: id, on: transaction, locked: true) else { return .failure(.deviceNotFound(id)) }
            guard before.customer != customer else { return .success(before) }
            try await transaction.query("UPDATE devices SET customer = \(customer) WHERE id = \(id)")
            try await Self.insertAudit(.moved(deviceID: id, from: before.customer, to: customer, at: at, actor: actor), on: transaction)
            return try await self.device(id: id, on: transaction).map { .success($0) } ?? .failure(.deviceNotFound(id))
        }
        return try outcome.get()
    }

    public func replaceCertificate(deviceID: String, serial: String, at: Date, by actor: String) async throws {
        let found = try await database.transaction { transaction in
            let rows = try await transaction.query(
                """
                UPDATE devices SET certificate_serial = \(serial), pending_certificate_serial = ''
                WHERE id = \(deviceID) AND registered_at IS NOT NULL RETURNING id
                """)
            guard !rows.isEmpty else { return false }
            try await Self.insertAudit(
                .credentialChanged(deviceID: deviceID, certificateSerial: serial, at: at, actor: actor), on: transaction)
            return true
        }
        guard found else { throw StoreError.deviceNotFound(deviceID) }
    }

    public func offerCertificate(deviceID: String, serial: String, at: Date, by actor: String) async throws {
        let found = try await database.transaction { transaction in
            let rows = try await transaction.query(
                """
                UPDATE devices SET pending_certificate_serial = \(serial)
                WHERE id = \(deviceID) AND registered_at IS NOT NULL AND revoked_at IS NULL RETURNING id
                """)
            guard !rows.isEmpty else { return false }
            try await Self.insertAudit(
                .certificateOffered(deviceID: deviceID, certificateSerial: serial, at: at, actor: actor), on: transaction)
            return true
        }
        guard found else { throw StoreError.deviceNotFound(deviceID) }
    }

    public func promoteCertificate(deviceID: String, serial: String, at: Date, by actor: String) async throws -> Bool {
        try await database.transaction { transaction in
            let rows = try await transaction.query(
                """
                UPDATE devices SET certificate_serial = pending_certificate_serial, pending_certificate_serial = ''
                WHERE id = \(deviceID) AND pending_certificate_serial = \(serial) AND pending_certificate_serial <> ''
                RETURNING id
                """)
            guard !rows.isEmpty else { return false }
            try await Self.insertAudit(
                .credentialChanged(deviceID: deviceID, certificateSerial: serial, at: at, actor: actor), on: transaction)
            return true
        }
    }

    public func device(id: String) async throws -> DeviceRecord? {
        try await device(id: id, on: database)
    }

    /// Devices with what their presence needs: the heartbeat of the node holding each and the
    /// database's clock.
    static let devicesWithPresence: StoreStatement = """
        SELECT devices.*, nodes.heartbeat_at AS node_heartbeat_at, \(.now) AS store_now
        FROM devices LEFT JOIN nodes ON nodes.name = devices.relay_node
        """

    public func devices() async throws -> [DeviceRecord] {
        try await database.query("\(Self.devicesWithPresence) ORDER BY devices.id").map(device(from:))
    }

    public func devices(visibleTo user: UserRecord) async throws -> [DeviceRecord] {
        if user.role == .admin { return try await devices() }
        return try await database.query(
            """
            \(Self.devicesWithPresence) JOIN user_customers uc ON uc.customer_id = devices.customer
            WHERE uc.user_id = \(user.id) ORDER BY devices.id
            """
        ).map(device(from:))
    }

    /// The device with this ID, if any; in a transaction, `locked` holds its row until the end.
    private func device(id: String, on executor: any StoreExecutor, locked: Bool = false) async throws -> DeviceRecord? {
        if locked { try await executor.query("SELECT id FROM devices WHERE id = \(id)\(StoreStatement.rowLock)") }
        return try await executor.query("\(Self.devicesWithPresence) WHERE devices.id = \(id)").first.map(device(from:))
    }

    /// Inserts `customer` unless its ID exists; returns whether it did.
    private static func insertCustomer(_ customer: CustomerRecord, on executor: any StoreExecutor) async throws -> Bool {
        try await !executor.query(
            """
            INSERT INTO customers (id, name, created_at) VALUES (\(customer.id), \(customer.name), \(customer.createdAt))
            ON CONFLICT (id) DO NOTHING RETURNING id
            """
        ).isEmpty
    }
}
