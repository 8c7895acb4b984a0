import Foundation
import SharedWire
import TunnelRelay
import XCTest

/// The control plane's rules: a device's customer changes only when an administrator moves
/// it, an ended session's token is dead, and long lists are read a page at a time.
extension StoreContract {
    static func resetDeviceStaysInItsCustomer(_ factory: some StoreFactory) async throws {
        let store = try await factory.open()
        try await store.registerDevice(registration("pack-1", serial: "01", customer: "acme"))
        try await store.addCustomer(CustomerRecord(id: "globex", name: "Globex", createdAt: t0), by: "root")
        _ = try await store.resetDevice(id: "pack-1", at: t0 + 1, by: "root")

        // Another customer's provisioning secret cannot take the reset device.
        await assertThrows(StoreError.deviceOfOtherCustomer(device: "pack-1", customer: "acme")) {
            try await store.registerDevice(registration("pack-1", serial: "02", at: t0 + 2, customer: "globex"))
        }
        let kept = try await store.device(id: "pack-1")
        XCTAssertEqual(kept?.customer, "acme")
        XCTAssertNil(kept?.registeredAt, "the refused registration changed nothing")
        let again = try await store.registerDevice(registration("pack-1", serial: "03", at: t0 + 3, customer: "acme"))
        XCTAssertEqual(again.customer, "acme")
        XCTAssertTrue(again.isAccepted)

        // Moving is the administrator's explicit act, to an existing customer, audited.
        await assertThrows(StoreError.customerNotFound("umbrella")) {
            try await store.moveDevice(id: "pack-1", toCustomer: "umbrella", at: t0 + 4, by: "root")
        }
        await assertThrows(StoreError.deviceNotFound("ghost")) {
            try await store.moveDevice(id: "ghost", toCustomer: "globex", at: t0 + 4, by: "root")
        }
        let moved = try await store.moveDevice(id: "pack-1", toCustomer: "globex", at: t0 + 5, by: "root")
        XCTAssertEqual(moved.customer, "globex")
        XCTAssertTrue(moved.isAccepted, "moving leaves the credential alone")
        let audit = try await store.auditEntries(AuditQuery(deviceID: "pack-1"))
        XCTAssertEqual(audit.map(\.event), [.deviceRegistered, .deviceReset, .registrationRefused, .deviceRegistered, .deviceMoved])
        XCTAssertTrue(audit[2].reason.contains("acme"), audit[2].reason)
        XCTAssertEqual(audit[4].actor, "root")
        XCTAssertEqual(audit[4].reason, "customer acme → globex")
    }

    static func endedSessionCannotBeClaimed(_ factory: some StoreFactory) async throws {
        let store = try await factory.open()
        try await store.registerDevice(registration("pack-1", serial: "01"))
        let token = SessionToken.generate()
        try await store.createSession(session(for: "pack-1", token: token))
        try await store.endSession(
            id: token.sessionID, ending: SessionEnding(endedAt: t0 + 1, reason: "ended by erin", bytesToDevice: 0, bytesFromDevice: 0))
        let claim = try await store.claimSession(id: token.sessionID, secretHash: token.secretHash, now: t0 + 2, node: "node-a")
        XCTAssertEqual(claim, .used)
        let stored = try await store.session(id: token.sessionID)
        XCTAssertNil(stored?.claimedAt)
    }

    static func auditCursors(_ factory: some StoreFactory) async throws {
        let store = try await factory.open()
        // Five entries in one millisecond, and one from a node whose clock is an hour behind.
        for index in 0..<5 {
            try await store.appendAudit(AuditEntry(at: t0, event: .sessionEndRequested, actor: "cli", sessionID: "s\(index)"))
        }
        try await store.appendAudit(AuditEntry(at: t0 - 3_600, event: .deviceRevoked, actor: "cli", deviceID: "late"))
        let all = try await store.auditEntries(AuditQuery(afterID: 0, limit: 100))
        XCTAssertEqual(all.map(\.sessionID), ["s0", "s1", "s2", "s3", "s4", nil], "in insertion order, whatever the times")
        let ids = all.compactMap(\.id)
        XCTAssertEqual(ids, ids.sorted())

        let afterSecond = try await store.auditEntries(AuditQuery(afterID: ids[1], limit: 2))
        XCTAssertEqual(afterSecond.map(\.id), [ids[2], ids[3]], "the oldest two after the cursor")
        let beforeLast = try await store.auditEntries(AuditQuery(beforeID: ids[5], limit: 2))
        XCTAssertEqual(beforeLast.map(\.id), [ids[3], ids[4]], "the newest two before the cursor, oldest first")
        let newest = try await store.auditEntries(AuditQuery(beforeID: .max, limit: 1))
        XCTAssertEqual(newest.map(\.id), [ids[5]])
        let filtered = try await store.auditEntries(AuditQuery(deviceID: "late", afterID: ids[0]))
        XCTAssertEqual(filtered.map(\.event), [.deviceRevoked])
    }

    static func sessionPages(_ factory: some StoreFactory) async throws {
        let store = try await factory.open()
        try await store.registerDevice(registration("acme-1", serial: "01", customer: "acme"))
        try await store.registerDevice(registration("globex-1", serial: "02", customer: "globex"))
        try await store.addUser(UserRecord(id: "erin", role: .engineer, customers: ["acme"], createdAt: t0), by: "cli")
        var acme: [String] = []
        var tokens: [SessionToken] = []
        for index in 0..<5 {
            let token = SessionToken.generate()
            var record = session(for: index % 2 == 0 ? "acme-1" : "globex-1", token: token)
            record.createdAt = t0 + TimeInterval(index)
            record.createdBy = index == 4 ? "erin" : "olga"
            try await store.createSession(record)
            tokens.append(token)
            if index % 2 == 0 { acme.append(record.id) }
        }
        let everything = try await store.sessions(SessionQuery(limit: 100))
        XCTAssertEqual(everything.count, 5)
        let newestTwo = try await store.sessions(SessionQuery(limit: 2))
        XCTAssertEqual(newestTwo.map(\.id), Array(everything.map(\.id).suffix(2)), "the newest page, oldest first")
        let previous = try await store.sessions(SessionQuery(beforeID: newestTwo[0].id, limit: 2))
        XCTAssertEqual(previous.map(\.id), Array(everything.map(\.id)[1..<3]), "the page before the cursor")

        let erinSees = try await store.sessions(SessionQuery(visibleTo: "erin", limit: 100))
        XCTAssertEqual(erinSees.map(\.id), acme, "only the sessions of the user's customers' devices")
        let erinPage = try await store.sessions(SessionQuery(visibleTo: "erin", beforeID: acme[2], limit: 1))
        XCTAssertEqual(erinPage.map(\.id), [acme[1]], "a full page of visible ones, not a page cut by filtering")
        let oneDevice = try await store.sessions(SessionQuery(deviceID: "globex-1", limit: 100))
        XCTAssertEqual(oneDevice.count, 2)

        // By creator and by state (the console's sessions page).
        let erinMade = try await store.sessions(SessionQuery(limit: 100, createdBy: "erin"))
        XCTAssertEqual(erinMade.map(\.id), [acme[2]])
        _ = try await store.claimSession(id: tokens[0].sessionID, secretHash: tokens[0].secretHash, now: t0 + 10, node: "n1")
        try await store.endSession(
            id: tokens[1].sessionID, ending: SessionEnding(endedAt: t0 + 11, reason: "done", bytesToDevice: 1, bytesFromDevice: 2))
        let live = try await store.sessions(SessionQuery(limit: 100, state: .live))
        XCTAssertEqual(live.map(\.id), [tokens[0].sessionID])
        let ended = try await store.sessions(SessionQuery(limit: 100, state: .ended))
        XCTAssertEqual(ended.map(\.id), [tokens[1].sessionID])
        let waiting = try await store.sessions(SessionQuery(limit: 100, state: .waiting))
        XCTAssertEqual(waiting.map(\.id), [2, 3, 4].map { tokens[$0].sessionID })
    }
}
