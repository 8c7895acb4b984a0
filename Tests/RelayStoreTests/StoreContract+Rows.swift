import Foundation
import SharedWire
import TunnelRelay
import XCTest

/// Rows the relay did not write itself (an operator's edit, a restore from another version):
/// the store reads them without trapping.
extension StoreContract {
    /// A session's mode out of the range of a mode and negative byte counts are clamped (the
    /// SQLite store used to trap on both; PostgreSQL's clamped).
    static func outOfRangeNumbersAreClamped(_ factory: some StoreFactory) async throws {
        let store = try await factory.open()
        try await store.registerDevice(registration("pack-1", serial: "01"))
        let token = SessionToken.generate()
        try await store.createSession(session(for: "pack-1", token: token, mode: .monitor))
        try await store.endSession(
            id: token.sessionID, ending: SessionEnding(endedAt: t0 + 1, reason: "done", bytesToDevice: 1, bytesFromDevice: 2))
        try await factory.execute("UPDATE sessions SET mode = 999, bytes_to_device = -5 WHERE id = '\(token.sessionID)'")

        let read = try await store.session(id: token.sessionID)
        XCTAssertEqual(read?.mode, .control, "a mode the relay does not know reads as the default")
        XCTAssertEqual(read?.ending?.bytesToDevice, 0)
        XCTAssertEqual(read?.ending?.bytesFromDevice, 2)
        let listed = try await store.sessions(deviceID: "pack-1").map(\.id)
        XCTAssertEqual(listed, [token.sessionID])
    }
}
