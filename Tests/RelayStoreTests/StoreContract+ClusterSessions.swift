import Foundation
import SharedWire
import TunnelRelay
import XCTest

/// One control session per device across relay nodes: the store judges a control claim against
/// the control sessions other live nodes run.
extension StoreContract {
    static func controlSessionsAcrossNodes(_ factory: some StoreFactory) async throws {
        let store = try await factory.open()
        for name in ["node-a", "node-b", "node-c"] { try await store.registerNode(node(name), instance: name + "1") }
        try await store.registerDevice(registration("pack-1", serial: "01"))
        func claim(
            _ mode: TunnelMessage.SessionMode, on node: String, user: String = "erin", takeOver: Bool = false
        ) async throws -> (String, SessionClaim) {
            let token = SessionToken.generate()
            var record = session(for: "pack-1", token: token, mode: mode, user: user)
            record.takeOver = takeOver
            try await store.createSession(record)
            return (
                token.sessionID, try await store.claimSession(id: token.sessionID, secretHash: token.secretHash, now: t0 + 1, node: node)
            )
        }
        func isClaimed(_ claim: SessionClaim) -> Bool { if case .claimed = claim { true } else { false } }

        let (held, first) = try await claim(.control, on: "node-a")
        XCTAssertTrue(isClaimed(first))
        let (_, monitor) = try await claim(.monitor, on: "node-b")
        XCTAssertTrue(isClaimed(monitor), "monitors are never refused for a control session")
        let (second, sameNode) = try await claim(.control, on: "node-a")
        XCTAssertTrue(isClaimed(sameNode), "on its own node, the node's broker judges")

        let (refusedID, refused) = try await claim(.control, on: "node-b", user: "fred")
        guard case .busy(let holder) = refused else { return XCTFail("a control claim on another node is refused: \(refused)") }
        XCTAssertTrue(holder.hasPrefix("device pack-1 has a control session by erin since "), holder)
        XCTAssertTrue(holder.hasSuffix(" on relay node node-a"), holder)
        let ended = try await store.session(id: refusedID)?.ending?.reason
        XCTAssertEqual(ended, "refused: " + holder, "the refused session ends; its token is spent")
        let refusals = try await store.auditEntries(AuditQuery(deviceID: "pack-1")).filter { $0.sessionID == refusedID }
        XCTAssertEqual(refusals.map(\.event), [.sessionCreated, .sessionRefused])
        XCTAssertEqual(refusals.last?.reason, holder)

        let (takeOverID, takeOver) = try await claim(.control, on: "node-b", user: "root", takeOver: true)
        XCTAssertTrue(isClaimed(takeOver))
        let requests = try await store.auditEntries(AuditQuery(deviceID: "pack-1")).filter { $0.event == .sessionEndRequested }
        XCTAssertEqual(Set(requests.compactMap(\.sessionID)), [held, second], "each of node a's control sessions is asked to end")
        XCTAssertEqual(Set(requests.map(\.actor)), [AuditEntry.takeOverActor])
        XCTAssertEqual(requests.first?.reason, "root (administrator) took over the control session")

        // Nodes a and b stop heartbeating: their sessions no longer hold the device.
        try await factory.ageNodeHeartbeats(bySeconds: 16)
        try await XCTAssertTrueAsync(try await store.heartbeatNode(node("node-c"), instance: "node-c1"))
        let (_, afterLease) = try await claim(.control, on: "node-c")
        XCTAssertTrue(isClaimed(afterLease), "sessions of nodes past their lease do not count: \(afterLease)")

        // Node a starts again: the sessions it ran before are over.
        try await store.registerNode(node("node-a"), instance: "node-a2")
        for id in [held, second] {
            let reason = try await store.session(id: id)?.ending?.reason
            XCTAssertEqual(reason, "the relay node stopped before the session ended")
        }
        let other = try await store.session(id: takeOverID)?.ending
        XCTAssertNil(other, "another node's sessions are left alone")
    }
}
