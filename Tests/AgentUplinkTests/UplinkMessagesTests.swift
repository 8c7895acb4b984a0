import AgentConfig
import Foundation
import XCTest

@testable import TunnelAgent

/// The JSON the agent sends the portal is encoded, not concatenated: quotes, backslashes and
/// control characters in values come out as valid JSON and read back the same.
final class UplinkMessagesTests: XCTestCase {
    private let awkward = "a \"quoted\" \\ path/with\nnewline\u{1}"

    private func parsed(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    func testConfigStatusOfEachOutcome() throws {
        let refused = try XCTUnwrap(
            PortalConfiguration.statusAttribute(file: "settings.json", outcome: .refused(problems: [awkward, "$.x"])))
        let status = try XCTUnwrap(try parsed(refused)["configStatus"] as? [String: Any])
        XCTAssertEqual(status["accepted"] as? Bool, false)
        XCTAssertEqual(status["problems"] as? [String], [awkward, "$.x"])
        XCTAssertNil(status["configHash"], "absent, not null")

        let withdrawn = try XCTUnwrap(PortalConfiguration.statusAttribute(file: "params_config.json", outcome: .withdrawn(hash: "ab12")))
        XCTAssertEqual(
            try parsed(withdrawn)["configStatus"] as? NSDictionary,
            ["file": "params_config.json", "accepted": true, "withdrawn": true, "configHash": "ab12"] as NSDictionary)
        XCTAssertNil(PortalConfiguration.statusAttribute(file: "settings.json", outcome: .unchanged))
    }

    func testAStoredAccessTokenReadsBackAsWritten() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("credentials-\(UUID().uuidString.prefix(8)).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try MQTTCredentials.store(token: awkward, at: path)
        XCTAssertEqual(try MQTTCredentials.load(path), MQTTCredentials(username: awkward, password: nil, source: "provisioned"))
    }

    func testAnRPCErrorNamesItsCodeAndMessage() throws {
        let error = try XCTUnwrap(try parsed(AgentRPC.error("unknownMethod", awkward))["error"] as? [String: String])
        XCTAssertEqual(error, ["code": "unknownMethod", "message": awkward])
    }
}
