import Foundation
import XCTest

@testable import TunnelRelay

/// The console's sessions and connect pages where they are plain logic: a session's state,
/// the commands shown, the times the audit search takes, and escaping.
final class ConsoleSessionsTests: XCTestCase {
    private let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    private func record(claimed: Bool = false, ended: Bool = false) -> SessionRecord {
        SessionRecord(
            id: "s1", deviceID: "p1", mode: .control, createdBy: "eng", createdAt: t0, expiresAt: t0 + 300, tokenHash: [1],
            claimedAt: claimed ? t0 + 1 : nil,
            ending: ended ? SessionEnding(endedAt: t0 + 9, reason: "<b>done</b>", bytesToDevice: 10, bytesFromDevice: 808) : nil)
    }

    func testASessionsStateFollowsItsRecord() {
        XCTAssertEqual(ConsoleRoutes.sessionValues(record(), now: t0 + 1)["state"] as? String, "waiting")
        XCTAssertEqual(ConsoleRoutes.sessionValues(record(), now: t0 + 301)["state"] as? String, "expired")
        XCTAssertEqual(ConsoleRoutes.sessionValues(record(claimed: true), now: t0 + 400)["state"] as? String, "live")
        let ended = ConsoleRoutes.sessionValues(record(claimed: true, ended: true), now: t0 + 400)
        XCTAssertEqual(ended["state"] as? String, "ended")
        XCTAssertEqual(ended["bytesToDevice"] as? String, "10")
        XCTAssertEqual(ended["bytesFromDevice"] as? String, "808")
    }

    func testTheCommandsQuoteTheURLForAShell() {
        let shown = ConnectInstructions(url: "bmstunnel://relay.example:7443/st1.abc.def")
        XCTAssertEqual(shown.tcpCommand, "tunnel-connect --tcp 127.0.0.1:7000 'bmstunnel://relay.example:7443/st1.abc.def'")
        XCTAssertEqual(shown.ptyCommand, "tunnel-connect --pty /tmp/bms 'bmstunnel://relay.example:7443/st1.abc.def'")
        XCTAssertEqual(ConnectInstructions.quoted("a'b"), "'a'\\''b'")
    }

    func testTheAuditSearchTakesBrowserAndISOTimes() {
        XCTAssertEqual(ConsoleRoutes.consoleTime("2027-01-15T08:00"), t0)
        XCTAssertEqual(ConsoleRoutes.consoleTime("2027-01-15T08:00:00Z"), t0)
        XCTAssertEqual(ConsoleRoutes.consoleTime("2027-01-15T08:00:00"), t0)
        XCTAssertEqual(ConsoleRoutes.consoleTime("2027-01-15"), t0 - 8 * 3600)
        XCTAssertNil(ConsoleRoutes.consoleTime("yesterday"))
    }

    func testTheSessionAndConnectPagesEscapeWhatTheyShow() throws {
        let pages = try ConsolePages()
        var values: [String: Any] = ["title": "t", "csrf": "c"]
        values["session"] = ConsoleRoutes.sessionValues(record(claimed: true, ended: true))
        let session = pages.render("session", values)
        XCTAssertTrue(session.contains("&lt;b&gt;done&lt;/b&gt;"), session)
        XCTAssertFalse(session.contains("<b>done"))
        values["connect"] = ConnectInstructions(url: "bmstunnel://h:1/<x>").values
        let connect = pages.render("connect", values)
        XCTAssertFalse(connect.contains("<x>"), connect)
        XCTAssertTrue(connect.contains("bmstunnel://h:1/&lt;x&gt;"), connect)
    }
}
