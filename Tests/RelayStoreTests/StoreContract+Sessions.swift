import Foundation
import SharedWire
import TunnelRelay
import XCTest

extension StoreContract {
    static func session(
        for device: String, token: SessionToken, mode: TunnelMessage.SessionMode = .control, user: String = "erin", ttl: TimeInterval = 60
    ) -> SessionRecord {
        SessionRecord(
            id: token.sessionID, deviceID: device, mode: mode, createdBy: user, createdAt: t0,
            expiresAt: t0 + ttl, tokenHash: token.secretHash)
    }

    static func sessionTokenSingleUse(_ factory: some StoreFactory) async throws {
        let stores = [try await factory.open(), try await factory.open()]
        try await stores[0].registerDevice(registration("pack-1", serial: "01"))
        let token = SessionToken.generate()
        try await stores[0].createSession(session(for: "pack-1", token: token))

        let claims = try await withThrowingTaskGroup(of: SessionClaim.self) { group in
            for attempt in 0..<16 {
                let store = stores[attempt % 2]
                group.addTask {
                    try await store.claimSession(
                        id: token.sessionID, secretHash: token.secretHash, now: t0 + 1, node: "node-\(attempt % 2)")
                }
            }
            return try await group.reduce(into: [SessionClaim]()) { $0.append($1) }
        }
        let winners = claims.filter { if case .claimed = $0 { true } else { false } }
        XCTAssertEqual(winners.count, 1, "exactly one of 16 concurrent claims wins: \(claims)")
        XCTAssertEqual(claims.filter { $0 == .used }.count, 15)
        if case .claimed(let record)? = winners.first {
            XCTAssertEqual(record.claimedAt, t0 + 1)
            XCTAssertEqual(record.deviceID, "pack-1")
            let stored = try await stores[1].session(id: token.sessionID)
            XCTAssertEqual(stored?.clientNode, record.clientNode, "the winning claim's node is the one stored")
            XCTAssertNotNil(record.clientNode)
        }

        let wrongSecret = try await stores[0].claimSession(
            id: token.sessionID, secretHash: SessionToken.hash("guess"), now: t0 + 2, node: "node-a")
        XCTAssertEqual(wrongSecret, .unknown)
        let noSuchSession = try await stores[0].claimSession(id: "ffff", secretHash: token.secretHash, now: t0 + 2, node: "node-a")
        XCTAssertEqual(noSuchSession, .unknown)
        let late = SessionToken.generate()
        try await stores[0].createSession(session(for: "pack-1", token: late, mode: .monitor, ttl: 1))
        let expired = try await stores[1].claimSession(id: late.sessionID, secretHash: late.secretHash, now: t0 + 1, node: "node-a")
        XCTAssertEqual(expired, .expired)

        await assertThrows(StoreError.deviceNotFound("ghost")) {
            try await stores[0].createSession(session(for: "ghost", token: SessionToken.generate()))
        }

        let audit = try await stores[1].auditEntries(AuditQuery(deviceID: "pack-1")).filter { $0.sessionID == token.sessionID }
        XCTAssertEqual(audit.filter { $0.event == .sessionCreated }.count, 1)
        XCTAssertEqual(audit.filter { $0.event == .sessionClaimed }.count, 1)
        XCTAssertEqual(audit.filter { $0.event == .sessionRefused }.count, 16, "15 reuses and one wrong secret")
        let created = audit.first { $0.event == .sessionCreated }
        XCTAssertEqual(created?.userID, "erin")
        XCTAssertEqual(created?.mode, .control)
        XCTAssertEqual(created?.at, t0)
        let unknown = try await stores[1].auditEntries(AuditQuery()).filter { $0.sessionID == "ffff" }
        XCTAssertEqual(unknown.map(\.event), [.sessionRefused])
        XCTAssertEqual(unknown.first?.reason, "no session matches the token")
    }

    static func sessionEndIsRecordedOnce(_ factory: some StoreFactory) async throws {
        let store = try await factory.open()
        try await store.registerDevice(registration("pack-1", serial: "01"))
        let token = SessionToken.generate()
        try await store.createSession(session(for: "pack-1", token: token, mode: .monitor))
        _ = try await store.claimSession(id: token.sessionID, secretHash: token.secretHash, now: t0 + 2, node: "node-a")
        let ending = SessionEnding(endedAt: t0 + 62, reason: "client left", bytesToDevice: 1_234, bytesFromDevice: 5_000_000_000)
        try await store.endSession(id: token.sessionID, ending: ending)
        try await store.endSession(
            id: token.sessionID, ending: SessionEnding(endedAt: t0 + 99, reason: "late", bytesToDevice: 0, bytesFromDevice: 0))

        let stored = try await store.session(id: token.sessionID)
        XCTAssertEqual(stored?.ending, ending, "the first ending stays")
        XCTAssertEqual(stored?.claimedAt, t0 + 2)
        let listed = try await store.sessions(deviceID: "pack-1").map(\.id)
        XCTAssertEqual(listed, [token.sessionID])

        let ended = try await store.auditEntries(AuditQuery(deviceID: "pack-1")).filter { $0.event == .sessionEnded }
        XCTAssertEqual(ended.count, 1)
        XCTAssertEqual(
            ended.first,
            AuditEntry(
                id: ended.first?.id, at: t0 + 62, event: .sessionEnded, actor: "relay", userID: "erin", deviceID: "pack-1",
                sessionID: token.sessionID, mode: .monitor, reason: "client left", startedAt: t0 + 2, bytesToDevice: 1_234,
                bytesFromDevice: 5_000_000_000))
    }
}
