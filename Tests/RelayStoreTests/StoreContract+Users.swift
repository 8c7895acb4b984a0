import Foundation
import SharedWire
import TunnelRelay
import XCTest

extension StoreContract {
    static func rolesAndCustomerScoping(_ factory: some StoreFactory) async throws {
        let store = try await factory.open()
        try await store.addCustomer(CustomerRecord(id: "acme", name: "Acme Storage", createdAt: t0), by: "root")
        try await store.addCustomer(CustomerRecord(id: "globex", name: "Globex", createdAt: t0), by: "root")
        await assertThrows(StoreError.customerExists("acme")) {
            try await store.addCustomer(CustomerRecord(id: "acme", name: "again", createdAt: t0), by: "root")
        }
        try await store.registerDevice(registration("acme-1", serial: "01", customer: "acme"))
        try await store.registerDevice(registration("acme-2", serial: "02", customer: "acme"))
        try await store.registerDevice(registration("globex-1", serial: "03", customer: "globex"))
        try await store.registerDevice(registration("initech-1", serial: "04", customer: "initech"))

        let admin = UserRecord(id: "root", role: .admin, customers: [], createdAt: t0)
        let engineer = UserRecord(id: "erin@acme.example", role: .engineer, customers: ["acme"], createdAt: t0)
        let viewer = UserRecord(id: "vic", role: .viewer, customers: ["globex", "acme"], createdAt: t0)
        for user in [admin, engineer, viewer] { try await store.addUser(user, by: "cli") }
        await assertThrows(StoreError.userExists("vic")) { try await store.addUser(viewer, by: "cli") }
        await assertThrows(StoreError.customerNotFound("umbrella")) {
            try await store.addUser(UserRecord(id: "uma", role: .engineer, customers: ["umbrella"], createdAt: t0), by: "cli")
        }
        let uma = try await store.user(id: "uma")
        XCTAssertNil(uma, "a refused user is not half-added")

        let stored = try await store.user(id: "vic")
        XCTAssertEqual(stored, viewer)
        XCTAssertEqual(stored?.customers, ["acme", "globex"])
        let everyone = try await store.users().map(\.id)
        XCTAssertEqual(everyone, ["erin@acme.example", "root", "vic"])

        let seenByAdmin = try await store.devices(visibleTo: admin).map(\.id)
        XCTAssertEqual(seenByAdmin, ["acme-1", "acme-2", "globex-1", "initech-1"])
        let seenByEngineer = try await store.devices(visibleTo: engineer).map(\.id)
        XCTAssertEqual(seenByEngineer, ["acme-1", "acme-2"])
        let seenByViewer = try await store.devices(visibleTo: viewer).map(\.id)
        XCTAssertEqual(seenByViewer, ["acme-1", "acme-2", "globex-1"])

        let acme = try await store.device(id: "acme-1")!
        let globex = try await store.device(id: "globex-1")!
        XCTAssertTrue(admin.mayOpen(.control, on: globex))
        XCTAssertTrue(admin.mayTakeOver)
        XCTAssertTrue(engineer.mayOpen(.control, on: acme))
        XCTAssertTrue(engineer.mayOpen(.monitor, on: acme))
        XCTAssertFalse(engineer.mayOpen(.monitor, on: globex), "engineers reach only their customers' devices")
        XCTAssertFalse(engineer.mayTakeOver)
        XCTAssertTrue(viewer.mayOpen(.monitor, on: globex))
        XCTAssertFalse(viewer.mayOpen(.control, on: acme), "viewers only monitor")

        let added = try await store.auditEntries(AuditQuery(userID: "erin@acme.example"))
        XCTAssertEqual(added.map(\.event), [.userAdded])
        XCTAssertEqual(added.first?.reason, "role engineer, customers acme")

        // A change replaces role and customers at once, audited with what they were; one that
        // names a customer that does not exist changes nothing.
        await assertThrows(StoreError.customerNotFound("umbrella")) {
            try await store.changeUser(id: "vic", role: .engineer, customers: ["acme", "umbrella"], at: t0, by: "root")
        }
        let unchanged = try await store.user(id: "vic")
        XCTAssertEqual(unchanged, viewer)
        await assertThrows(StoreError.userNotFound("nobody")) {
            try await store.changeUser(id: "nobody", role: .viewer, customers: ["acme"], at: t0, by: "root")
        }
        let changed = try await store.changeUser(id: "vic", role: .engineer, customers: ["globex"], at: t0 + 5, by: "root")
        XCTAssertEqual(changed, UserRecord(id: "vic", role: .engineer, customers: ["globex"], createdAt: t0))
        let reread = try await store.user(id: "vic")
        XCTAssertEqual(reread, changed)
        let seenAfter = try await store.devices(visibleTo: changed).map(\.id)
        XCTAssertEqual(seenAfter, ["globex-1"])
        let change = try await store.auditEntries(AuditQuery(userID: "vic")).last
        XCTAssertEqual(change?.event, .userChanged)
        XCTAssertEqual(change?.reason, "role engineer, customers globex (was role viewer, customers acme, globex)")
    }

    static func apiKeysVerifyAndRevoke(_ factory: some StoreFactory) async throws {
        let stores = [try await factory.open(), try await factory.open()]
        try await stores[0].addCustomer(CustomerRecord(id: "acme", name: "Acme", createdAt: t0), by: "root")
        let erin = UserRecord(id: "erin", role: .engineer, customers: ["acme"], createdAt: t0)
        try await stores[0].addUser(erin, by: "root")

        let key = APIKey.generate()
        XCTAssertEqual(APIKey(parsing: key.description), key)
        try await stores[0].createAPIKey(APIKeyRecord(key: key, userID: "erin", name: "portal", createdAt: t0), by: "root")
        await assertThrows(StoreError.userNotFound("nobody")) {
            try await stores[0].createAPIKey(
                APIKeyRecord(key: APIKey.generate(), userID: "nobody", name: "x", createdAt: t0), by: "root")
        }

        guard case .valid(let record, let user) = try await stores[1].verifyAPIKey(key, now: t0 + 5) else {
            return XCTFail("a fresh key verifies")
        }
        XCTAssertEqual(user, erin)
        XCTAssertEqual(record.lastUsedAt, t0 + 5)
        XCTAssertEqual(record.secretHash, key.secretHash, "only the hash is stored")
        _ = try await stores[1].verifyAPIKey(key, now: t0 + 6)
        let listed = try await stores[0].apiKeys(userID: "erin")
        XCTAssertEqual(listed.map(\.id), [key.keyID])
        XCTAssertEqual(listed.first?.lastUsedAt, t0 + 5, "uses within a minute do not rewrite the time")

        let wrong = try await stores[0].verifyAPIKey(APIKey(keyID: key.keyID, secret: "guess"), now: t0 + 7)
        XCTAssertEqual(wrong, .unknown)
        let unknown = try await stores[0].verifyAPIKey(APIKey.generate(), now: t0 + 7)
        XCTAssertEqual(unknown, .unknown)

        try await stores[0].revokeAPIKey(id: key.keyID, at: t0 + 8, by: "root")
        let revoked = try await stores[1].verifyAPIKey(key, now: t0 + 9)
        XCTAssertEqual(revoked, .revoked)
        await assertThrows(StoreError.apiKeyNotFound("nope")) { try await stores[0].revokeAPIKey(id: "nope", at: t0, by: "root") }
        let all = try await stores[0].apiKeys(userID: nil)
        XCTAssertEqual(all.first?.revokedAt, t0 + 8)

        let events = try await stores[0].auditEntries(AuditQuery(userID: "erin")).map(\.event)
        XCTAssertEqual(events, [.userAdded, .apiKeyCreated, .apiKeyRevoked, .apiKeyRefused])
        let refusals = try await stores[0].auditEntries(AuditQuery()).filter { $0.event == .apiKeyRefused }
        XCTAssertEqual(refusals.count, 3, "wrong secret, unknown key, revoked key")
    }
}
