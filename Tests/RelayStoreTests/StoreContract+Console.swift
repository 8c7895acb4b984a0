import Foundation
import SharedWire
import TunnelRelay
import XCTest

extension StoreContract {
    /// Passwords and console sessions: set, read, a new password ends the sessions, sign-out
    /// deletes, and old sessions are swept when a new one is made.
    static func consolePasswordsAndSessions(_ factory: some StoreFactory) async throws {
        let store = try await factory.open()
        try await store.addUser(UserRecord(id: "root", role: .admin, customers: [], createdAt: t0), by: "cli")
        let none = try await store.passwordHash(userID: "root")
        XCTAssertNil(none)
        await assertThrows(StoreError.userNotFound("nobody")) {
            try await store.setPassword(userID: "nobody", hash: "x", at: t0, by: "cli")
        }
        try await store.setPassword(userID: "root", hash: "$2b$12$hash", at: t0, by: "cli")
        let hash = try await store.passwordHash(userID: "root")
        XCTAssertEqual(hash, "$2b$12$hash")

        let session = ConsoleSessionRecord(tokenHash: [1, 2, 3], userID: "root", csrfToken: "c", createdAt: t0, lastUsedAt: t0)
        try await store.createConsoleSession(session, expiredBefore: t0.addingTimeInterval(-100), idleBefore: t0.addingTimeInterval(-100))
        let found = try await store.consoleSession(tokenHash: [1, 2, 3])
        XCTAssertEqual(found, session)
        try await store.touchConsoleSession(tokenHash: [1, 2, 3], at: t0.addingTimeInterval(60))
        let touched = try await store.consoleSession(tokenHash: [1, 2, 3])
        XCTAssertEqual(touched?.lastUsedAt, t0.addingTimeInterval(60))

        // A later sign-in sweeps sessions idle since before its cutoff.
        let later = t0.addingTimeInterval(3_600)
        try await store.createConsoleSession(
            ConsoleSessionRecord(tokenHash: [9], userID: "root", csrfToken: "d", createdAt: later, lastUsedAt: later),
            expiredBefore: later.addingTimeInterval(-43_200), idleBefore: later.addingTimeInterval(-1_800))
        let swept = try await store.consoleSession(tokenHash: [1, 2, 3])
        XCTAssertNil(swept, "an idle session is deleted by the next sign-in")

        try await store.setPassword(userID: "root", hash: "$2b$12$other", at: later, by: "cli")
        let ended = try await store.consoleSession(tokenHash: [9])
        XCTAssertNil(ended, "a new password ends the user's sessions")
        let audited = try await store.auditEntries(AuditQuery(userID: "root")).map(\.event)
        XCTAssertEqual(audited.filter { $0 == .passwordSet }.count, 2)

        // A user's own sign-ins, most recently used first; signing out the others keeps one,
        // and another user's.
        try await store.addUser(UserRecord(id: "ana", role: .admin, customers: [], createdAt: t0), by: "cli")
        for (hash, user, used) in [([20], "root", 10.0), ([21], "root", 30.0), ([22], "root", 20.0), ([23], "ana", 5.0)] {
            try await store.createConsoleSession(
                ConsoleSessionRecord(
                    tokenHash: hash.map(UInt8.init), userID: user, csrfToken: "t", createdAt: later,
                    lastUsedAt: later.addingTimeInterval(used)),
                expiredBefore: t0, idleBefore: t0)
        }
        let mine = try await store.consoleSessions(userID: "root")
        XCTAssertEqual(mine.map(\.tokenHash), [[21], [22], [20]])
        let signedOut = try await store.deleteConsoleSessions(userID: "root", except: [22])
        XCTAssertEqual(signedOut, 2)
        let left = try await store.consoleSessions(userID: "root")
        XCTAssertEqual(left.map(\.tokenHash), [[22]])
        let hers = try await store.consoleSessions(userID: "ana")
        XCTAssertEqual(hers.count, 1)
    }

    /// Fleet pages: visibility, search (wildcards literal), customer and presence filters,
    /// order and paging, in the store's query.
    static func fleetPages(_ factory: some StoreFactory) async throws {
        let store = try await factory.open()
        for index in 0..<60 {
            try await store.registerDevice(registration(String(format: "bms-%03d", index), serial: "s\(index)", customer: "acme"))
        }
        try await store.registerDevice(registration("x_1", serial: "x", customer: "globex"))
        try await store.registerDevice(registration("xa1", serial: "y", customer: "globex"))
        let admin = UserRecord(id: "root", role: .admin, customers: [], createdAt: t0)
        let viewer = UserRecord(id: "vic", role: .viewer, customers: ["globex"], createdAt: t0)
        try await store.addUser(admin, by: "cli")
        try await store.addUser(viewer, by: "cli")

        let first = try await store.fleetPage(FleetQuery(visibleTo: admin))
        XCTAssertEqual(first.total, 62)
        XCTAssertEqual(first.rows.count, FleetQuery.pageSize)
        XCTAssertEqual(first.pageCount, 2)
        XCTAssertEqual(first.rows.first?.device.id, "bms-000")
        let second = try await store.fleetPage(FleetQuery(visibleTo: admin, page: 2))
        XCTAssertEqual(second.rows.map(\.device.id).suffix(2), ["x_1", "xa1"])
        let descending = try await store.fleetPage(FleetQuery(visibleTo: admin, sort: .id, descending: true))
        XCTAssertEqual(descending.rows.first?.device.id, "xa1")

        let seenByViewer = try await store.fleetPage(FleetQuery(visibleTo: viewer))
        XCTAssertEqual(seenByViewer.rows.map(\.device.id), ["x_1", "xa1"])
        let literal = try await store.fleetPage(FleetQuery(visibleTo: admin, search: "X_"))
        XCTAssertEqual(literal.rows.map(\.device.id), ["x_1"], "'_' is a character, not a wildcard, and case does not matter")
        let byCustomer = try await store.fleetPage(FleetQuery(visibleTo: admin, search: "glob"))
        XCTAssertEqual(byCustomer.total, 2)
        let filtered = try await store.fleetPage(FleetQuery(visibleTo: viewer, customer: "acme"))
        XCTAssertEqual(filtered.total, 0, "a filter never widens what the user may see")

        try await store.registerNode(try NodeIdentity(name: "node-a", address: "relay-a:7443"), instance: "a1")
        try await store.markOnline(
            deviceID: "bms-042", remoteAddress: "192.0.2.1:1", agentVersion: "tunnel-agent/1.0", relayNode: "node-a", at: t0)
        let online = try await store.fleetPage(FleetQuery(visibleTo: admin, online: true))
        XCTAssertEqual(online.rows.map(\.device.id), ["bms-042"])
        XCTAssertEqual(online.rows.first?.device.presence.agentVersion, "tunnel-agent/1.0")
        let offline = try await store.fleetPage(FleetQuery(visibleTo: admin, online: false))
        XCTAssertEqual(offline.total, 61)
        let some = try await store.devices(ids: ["xa1", "bms-042", "nobody"])
        XCTAssertEqual(some.map(\.id), ["bms-042", "xa1"])
        XCTAssertEqual(some.first?.presence.online, true)
        let none = try await store.devices(ids: [])
        XCTAssertEqual(none, [])
        let onlineFirst = try await store.fleetPage(FleetQuery(visibleTo: admin, sort: .online, descending: true))
        XCTAssertEqual(onlineFirst.rows.first?.device.id, "bms-042")
    }
}
