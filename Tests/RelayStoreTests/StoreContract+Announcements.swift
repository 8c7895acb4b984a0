import Foundation
import NIOConcurrencyHelpers
import TunnelRelay
import XCTest

/// A write every node follows (a revocation, a session asked to end) is announced to the
/// other processes sharing the store where the store can (PostgreSQL), and only such writes.
extension StoreContract {
    static func changesAreAnnounced(_ factory: some StoreFactory) async throws {
        let listener = try await factory.open()
        let writer = try await factory.open()
        let notices = NIOLockedValueBox(0)
        guard listener.announcesChanges else {
            // Returns at once: a watch on this store reads the audit log on its own clock.
            await listener.followChanges { notices.withLockedValue { $0 += 1 } }
            XCTAssertEqual(notices.withLockedValue { $0 }, 0)
            return
        }
        let following = Task { await listener.followChanges { notices.withLockedValue { $0 += 1 } } }
        defer { following.cancel() }
        try await waitFor("the call made on listening", seconds: 10) { notices.withLockedValue { $0 } == 1 }

        try await writer.registerDevice(registration("pack-9", serial: "09"))
        try await writer.appendAudit(AuditEntry(at: t0, event: .sessionCreated, actor: "u1", deviceID: "pack-9", sessionID: "s1"))
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertEqual(notices.withLockedValue { $0 }, 1, "a registration and a session's start are not announced")

        try await writer.revokeDevice(id: "pack-9", at: t0 + 1, by: "alice")
        try await waitFor("a revocation's notice", seconds: 5) { notices.withLockedValue { $0 } == 2 }
        try await writer.appendAudit(
            AuditEntry(at: t0 + 2, event: .sessionEndRequested, actor: "alice", deviceID: "pack-9", sessionID: "s1"))
        try await waitFor("an end request's notice", seconds: 5) { notices.withLockedValue { $0 } == 3 }
    }

    /// Polls `condition` every 20 ms until it holds, failing after `seconds`.
    private static func waitFor(_ what: String, seconds: Double, _ condition: () -> Bool) async throws {
        let deadline = Date() + seconds
        while !condition() {
            guard Date() < deadline else { return XCTFail("no \(what) within \(seconds) s") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
