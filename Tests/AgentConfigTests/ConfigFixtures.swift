import Foundation
import XCTest

@testable import AgentConfig

/// Files and helpers the configuration tests share.
enum ConfigFixtures {
    /// The package's root folder.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A tunnel section that passes every check.
    static let tunnel =
        #""tunnel": {"relay": "relay.example.com:7443", "cert": "device.pem", "key": "device-key.pem", "ca": "relay-ca.pem"}"#

    /// Checks settings.json text.
    static func settings(_ text: String) -> ConfigCheck<AgentSettings> {
        AgentSettings.check(json: Array(text.utf8))
    }

    /// Checks params_config.json text.
    static func params(_ text: String) -> ConfigCheck<ParamsConfig> {
        ParamsConfig.check(json: Array(text.utf8))
    }

    /// The shipped default params_config.json, parsed and checked.
    static func shippedParams() throws -> ParamsConfig {
        let url = try XCTUnwrap(ParamsConfig.shippedDefaultURL, "the TunnelAgent resource bundle holds params_config.json")
        return try ParamsConfig.load(path: url.path)
    }

    /// A new empty folder under the temporary directory, removed when `test` ends.
    static func temporaryFolder(for test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("agent-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Writes `text` to `name` in `folder` and returns its path.
    static func write(_ text: String, to name: String, in folder: URL) throws -> String {
        let url = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }
}

extension ConfigReport {
    /// Each problem as one line, for assertions that show every difference at once.
    var problemLines: [String] { problems.map(\.description) }
    /// The paths of the notices of a kind.
    func noticePaths(_ kind: Notice.Kind) -> [String] { notices.filter { $0.kind == kind }.map(\.path) }
}
