import Foundation
import TunnelTransport
import XCTest

@testable import TunnelConnect

/// `tunnel-connect install-handler`'s desktop entry, and the `bmstunnel://` URLs it is for.
final class SchemeHandlerTests: XCTestCase {
    func testTheEntryClaimsTheSchemeAndRunsTheProgramWithTheLink() {
        let handler = SchemeHandler(executable: "/usr/bin/tunnel-connect", directory: "/tmp/x/applications")
        XCTAssertEqual(handler.path, "/tmp/x/applications/tunnel-connect-bmstunnel.desktop")
        XCTAssertTrue(handler.desktopEntry.contains("\nExec=/usr/bin/tunnel-connect %u\n"))
        XCTAssertTrue(handler.desktopEntry.contains("\nMimeType=x-scheme-handler/bmstunnel;\n"))
        XCTAssertEqual(handler.xdgMimeArguments, ["default", "tunnel-connect-bmstunnel.desktop", "x-scheme-handler/bmstunnel"])
    }

    func testAPathWithSpacesIsQuoted() {
        XCTAssertEqual(SchemeHandler.execField("/opt/my tools/tunnel-connect"), "\"/opt/my tools/tunnel-connect\"")
        XCTAssertEqual(SchemeHandler.execField("/opt/a$b/t"), "\"/opt/a\\$b/t\"")
        XCTAssertEqual(SchemeHandler.execField("/opt/100%/t"), "/opt/100%%/t")
    }

    func testTheDirectoryFollowsXDGDataHome() throws {
        XCTAssertEqual(try SchemeHandler.applicationsDirectory(environment: ["XDG_DATA_HOME": "/d", "HOME": "/h"]), "/d/applications")
        XCTAssertEqual(
            try SchemeHandler.applicationsDirectory(environment: ["XDG_DATA_HOME": "", "HOME": "/h"]), "/h/.local/share/applications")
        XCTAssertEqual(
            try SchemeHandler.applicationsDirectory(environment: ["XDG_DATA_HOME": "rel", "HOME": "/h"]), "/h/.local/share/applications")
        XCTAssertThrowsError(try SchemeHandler.applicationsDirectory(environment: [:]))
    }

    func testWriteCreatesTheDirectoryAndTheFile() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("handler-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let handler = SchemeHandler(executable: "/usr/bin/tunnel-connect", directory: root + "/applications")
        try handler.write()
        XCTAssertEqual(try String(contentsOfFile: handler.path, encoding: .utf8), handler.desktopEntry)
    }

    func testAConnectURLGivesTheRelayAndTheToken() throws {
        let target = try ConnectTarget(argument: "bmstunnel://relay.example:7443/st1.abc.def", relay: nil)
        XCTAssertEqual(target.token, "st1.abc.def")
        XCTAssertEqual(target.relay, try RelayAddress(parsing: "relay.example:7443"))
        XCTAssertThrowsError(try ConnectTarget(argument: "bmstunnel://relay.example:7443", relay: nil))
        XCTAssertThrowsError(try ConnectTarget(argument: "bmstunnel://relay.example:7443/", relay: nil))
    }
}
