import Foundation
import XCTest

@testable import TunnelAgent

/// The default MQTT client identifier: made once per gateway, kept, unique among gateways
/// that share a host name; a configured one wins.
final class MQTTClientIdentifierTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("client-id-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { [folder] in try? FileManager.default.removeItem(at: folder!) }
    }

    func testMadeOnceKeptAndDifferentOnAnotherGatewayWithTheSameHostName() throws {
        let path = folder.appendingPathComponent("mqtt-client-id").path
        let first = try MQTTClientIdentifier.resolve(configured: "", hostName: "gw", path: path, random: { 0xabc })
        XCTAssertEqual(first, "tunnel-agent-gw-00000abc")
        XCTAssertEqual(try MQTTClientIdentifier.resolve(configured: "", hostName: "gw", path: path, random: { 1 }), first, "kept")
        let other = folder.appendingPathComponent("other-gateway").path
        XCTAssertNotEqual(try MQTTClientIdentifier.resolve(configured: "", hostName: "gw", path: other), first)
        XCTAssertEqual(try MQTTClientIdentifier.resolve(configured: "mine", hostName: "gw", path: path), "mine", "settings win")
    }

    func testAFileThatHoldsNoIdentifierIsNamed() throws {
        let path = folder.appendingPathComponent("mqtt-client-id").path
        try Data("\n".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try MQTTClientIdentifier.resolve(configured: "", hostName: "gw", path: path)) {
            XCTAssertTrue("\($0)".contains(path), "\($0)")
        }
    }
}
