import Foundation
import TunnelRelay
import XCTest

/// Diagnostic bundles: a request ends once, its archive comes back byte for byte, and only the
/// newest few are kept per device.
extension StoreContract {
    static func diagnosticsEndOnceAndAreBounded(_ factory: some StoreFactory) async throws {
        let store = try await factory.open()
        try await store.registerDevice(registration("pack-1", serial: "01"))
        let archive = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await store.addDiagnosticRequest(DiagnosticRecord(id: "dg-1", deviceID: "pack-1", requestedBy: "root", requestedAt: t0))
        let requested = try await store.diagnostics(deviceID: "pack-1")
        XCTAssertEqual(requested.map(\.status), [.requested])
        let early = try await store.diagnosticContent(id: "dg-1")
        XCTAssertNil(early, "nothing to download before it arrives")

        let first = try await store.finishDiagnostic(id: "dg-1", outcome: .received(content: archive, sha256: "ab12"), at: t0 + 5)
        let second = try await store.finishDiagnostic(id: "dg-1", outcome: .failed("late"), at: t0 + 6)
        XCTAssertTrue(first)
        XCTAssertFalse(second, "a request ends once")
        let received = try await store.diagnostics(deviceID: "pack-1")
        XCTAssertEqual(received.first?.status, .received)
        XCTAssertEqual(received.first?.size, archive.count)
        XCTAssertEqual(received.first?.sha256, "ab12")
        XCTAssertEqual(received.first?.finishedAt, t0 + 5)
        let content = try await store.diagnosticContent(id: "dg-1")
        XCTAssertEqual(content, archive)
        let unknown = try await store.finishDiagnostic(id: "dg-ghost", outcome: .failed("x"), at: t0)
        XCTAssertFalse(unknown)

        for index in 2...8 {
            try await store.addDiagnosticRequest(
                DiagnosticRecord(id: "dg-\(index)", deviceID: "pack-1", requestedBy: "root", requestedAt: t0 + Double(index * 10)))
            _ = try await store.finishDiagnostic(
                id: "dg-\(index)", outcome: .failed("agent gone \(index)"), at: t0 + Double(index * 10 + 1))
        }
        let kept = try await store.diagnostics(deviceID: "pack-1")
        XCTAssertEqual(kept.map(\.id), ["dg-8", "dg-7", "dg-6", "dg-5", "dg-4"], "the newest five, newest first")
        XCTAssertEqual(kept.first?.message, "agent gone 8")
        let gone = try await store.diagnosticContent(id: "dg-1")
        XCTAssertNil(gone, "the oldest archive is gone")

        let audit = try await store.auditEntries(AuditQuery(deviceID: "pack-1")).map(\.event)
        XCTAssertEqual(audit.filter { $0 == .diagnosticsRequested }.count, 8)
        XCTAssertEqual(audit.filter { $0 == .diagnosticsReceived }.count, 1)
        XCTAssertEqual(audit.filter { $0 == .diagnosticsFailed }.count, 7)
    }
}
