import Foundation

/// Diagnostic bundles: the request, its outcome with the archive, and the few kept per device.
extension SQLRelayStore {
    /// Requests kept per device, with their archives; older ones are removed as new ones end.
    public static let diagnosticsKeptPerDevice = 5

    public func addDiagnosticRequest(_ request: DiagnosticRecord) async throws {
        try await database.transaction { transaction in
            try await transaction.query(
                """
                INSERT INTO diagnostics (id, device_id, requested_by, requested_at, status)
                VALUES (\(request.id), \(request.deviceID), \(request.requestedBy), \(request.requestedAt), 'requested')
                """)
            try await Self.insertAudit(
                AuditEntry(
                    at: request.requestedAt, event: .diagnosticsRequested, actor: request.requestedBy,
                    userID: request.requestedBy, deviceID: request.deviceID, reason: DiagnosticRecord.auditReason(id: request.id)),
                on: transaction)
        }
    }

    public func finishDiagnostic(id: String, outcome: DiagnosticOutcome, at: Date) async throws -> Bool {
        try await database.transaction { transaction in
            let rows: [StoreRow]
            let entry: (event: AuditEvent, reason: String)
            switch outcome {
            case .received(let content, let sha256):
                rows = try await transaction.query(
                    """
                    UPDATE diagnostics SET status = 'received', finished_at = \(at), size = \(content.count),
                        sha256 = \(sha256), content = \(content)
                    WHERE id = \(id) AND status = 'requested' RETURNING device_id
                    """)
                entry = (.diagnosticsReceived, "bundle \(id), \(content.count) bytes, sha256 \(sha256)")
            case .failed(let message):
                let message = AuditEntry.bounded(message, AuditEntry.maxReasonBytes)
                rows = try await transaction.query(
                    """
                    UPDATE diagnostics SET status = 'failed', finished_at = \(at), message = \(message)
                    WHERE id = \(id) AND status = 'requested' RETURNING device_id
                    """)
                entry = (.diagnosticsFailed, "bundle \(id): \(message)")
            }
            guard let deviceID = try rows.first?.string("device_id") else { return false }
            try await Self.insertAudit(
                AuditEntry(at: at, event: entry.event, actor: deviceID, deviceID: deviceID, reason: entry.reason), on: transaction)
            try await transaction.query(
                """
                DELETE FROM diagnostics WHERE device_id = \(deviceID) AND status <> 'requested' AND id NOT IN (
                    SELECT id FROM diagnostics WHERE device_id = \(deviceID)
                    ORDER BY requested_at DESC, id DESC LIMIT \(Self.diagnosticsKeptPerDevice))
                """)
            return true
        }
    }

    public func diagnostics(deviceID: String) async throws -> [DiagnosticRecord] {
        try await database.query(
            """
            SELECT id, device_id, requested_by, requested_at, status, finished_at, message, size, sha256
            FROM diagnostics WHERE device_id = \(deviceID) ORDER BY requested_at DESC, id DESC
            """
        ).map(Self.diagnostic(from:))
    }

    public func diagnosticContent(id: String) async throws -> [UInt8]? {
        let row = try await database.query("SELECT content FROM diagnostics WHERE id = \(id) AND status = 'received'").first
        return try row.map { try $0.bytes("content") }
    }

    static func diagnostic(from row: StoreRow) throws -> DiagnosticRecord {
        DiagnosticRecord(
            id: try row.string("id"), deviceID: try row.string("device_id"), requestedBy: try row.string("requested_by"),
            requestedAt: try row.date("requested_at"),
            status: DiagnosticRecord.Status(rawValue: try row.string("status")) ?? .failed,
            finishedAt: try row.optionalDate("finished_at"), message: try row.string("message"),
            size: try row.optionalInt("size"), sha256: try row.optionalString("sha256"))
    }
}
