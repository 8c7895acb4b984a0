import XCTest

@testable import AgentConfig
@testable import TunnelAgent

/// Where the relative paths of a pushed settings.json point: the gateway's own settings folder.
final class PortalPathsTests: XCTestCase {
    func testPushedRelativePathsResolveAgainstTheLocalSettingsFolder() throws {
        let paths = AgentPaths(
            settings: "/etc/tunnel-agent/settings.json", params: "/etc/tunnel-agent/params_config.json",
            stateDirectory: "/var/lib/tunnel-agent")
        XCTAssertEqual(paths.settingsFolder, "/etc/tunnel-agent")
        let local = AgentSettings(mqtt: .init(uri: "mqtts://b:8883", ca: "/etc/tunnel-agent/broker-ca.pem"))
        let pushed = Array(#"{"mqtt": {"uri": "mqtts://c:8883", "ca": "broker-ca.pem", "cli_cert": "client.pem"}}"#.utf8)
        let effective = try AgentConfiguration.portalSettings(pushed, local: local, folder: paths.settingsFolder).get()
        XCTAssertEqual(effective.mqtt?.ca, "/etc/tunnel-agent/broker-ca.pem", "the same CA, written relative: accepted")
        XCTAssertEqual(effective.mqtt?.cliCert, "/etc/tunnel-agent/client.pem")
    }
}
