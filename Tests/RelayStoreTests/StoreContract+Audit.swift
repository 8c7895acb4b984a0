import Foundation
import SharedWire
import TunnelRelay
import XCTest

extension StoreContract {
    static func auditQueries(_ factory: some StoreFactory) async throws {
        let store = try await factory.open()
        let entries = [
            AuditEntry(at: t0, event: .agentRefused, actor: "relay", deviceID: "d1", reason: "revoked", source: "203.0.113.1:1"),
            AuditEntry(at: t0 + 10, event: .sessionCreated, actor: "u1", userID: "u1", deviceID: "d1", sessionID: "s1", mode: .control),
            AuditEntry(at: t0 + 20, event: .sessionCreated, actor: "u2", userID: "u2", deviceID: "d2", sessionID: "s2", mode: .monitor),
            AuditEntry(at: t0 + 30, event: .deviceRevoked, actor: "u1", deviceID: "d2"),
            AuditEntry(
                at: t0 + 40, event: .sessionEnded, actor: "relay", userID: "u1", deviceID: "d1", sessionID: "s1", mode: .control,
                reason: "agent went away", startedAt: t0 + 11, bytesToDevice: 10, bytesFromDevice: 20),
        ]
        // Appended out of order: queries sort by time.
        for entry in entries.reversed() { try await store.appendAudit(entry) }

        let all = try await store.auditEntries(AuditQuery())
        XCTAssertEqual(all.map(\.at), entries.map(\.at))
        XCTAssertEqual(
            all.map {
                var entry = $0
                entry.id = nil
                return entry
            }, entries, "every field round-trips")
        XCTAssertEqual(Set(all.compactMap(\.id)).count, 5, "each entry has its own ID")

        let byDevice = try await store.auditEntries(AuditQuery(deviceID: "d1"))
        XCTAssertEqual(byDevice.map(\.at), [t0, t0 + 10, t0 + 40])
        let byUser = try await store.auditEntries(AuditQuery(userID: "u1"))
        XCTAssertEqual(byUser.map(\.at), [t0 + 10, t0 + 30, t0 + 40], "entries about the user and made by them")
        let created = try await store.auditEntries(AuditQuery(event: AuditEvent.sessionCreated.rawValue))
        XCTAssertEqual(created.map(\.at), [t0 + 10, t0 + 20], "by event")
        let createdOnD1 = try await store.auditEntries(AuditQuery(deviceID: "d1", event: AuditEvent.sessionCreated.rawValue))
        XCTAssertEqual(createdOnD1.map(\.at), [t0 + 10], "by event and device")
        let window = try await store.auditEntries(AuditQuery(since: t0 + 10, until: t0 + 30))
        XCTAssertEqual(window.map(\.at), [t0 + 10, t0 + 20], "since is inclusive, until exclusive")
        let combined = try await store.auditEntries(AuditQuery(deviceID: "d1", userID: "u1", since: t0 + 20))
        XCTAssertEqual(combined.map(\.event), [.sessionEnded])
        let newestTwo = try await store.auditEntries(AuditQuery(limit: 2))
        XCTAssertEqual(newestTwo.map(\.at), [t0 + 30, t0 + 40], "the newest entries, oldest first")
        let nothing = try await store.auditEntries(AuditQuery(deviceID: "d9"))
        XCTAssertEqual(nothing, [])
    }

    /// Two handles migrating a new database at once, and again later: each migration runs once.
    static func migrationsAreIdempotent(_ factory: some StoreFactory, expectedVersion: Int) async throws {
        async let first = factory.open()
        async let second = factory.open()
        let stores = try await [first, second]
        for store in stores {
            let version = try await store.schemaVersion()
            XCTAssertEqual(version, expectedVersion)
        }
        try await stores[0].registerDevice(registration("pack-1", serial: "01"))
        try await stores[0].migrate()
        try await stores[1].migrate()
        let third = try await factory.open()
        let version = try await third.schemaVersion()
        XCTAssertEqual(version, expectedVersion)
        let kept = try await third.device(id: "pack-1")
        XCTAssertEqual(kept?.certificateSerial, "01", "migrating again keeps the data")
        await assertThrows(StoreError.deviceExists("pack-1")) {
            try await third.registerDevice(registration("pack-1", serial: "02"))
        }
    }
}
