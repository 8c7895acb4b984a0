import Foundation
import Logging
import XCTest

@testable import TunnelAgent

/// A factory reset removes the gateway's credentials and state and puts the packaged settings
/// back, and a reset cut at any step finishes from its marker.
final class FactoryResetTests: XCTestCase {
    private var root = ""
    private var reset: FactoryReset!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("reset-\(UUID().uuidString.prefix(8))").path
        for folder in ["etc", "state", "defaults"] {
            try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
        }
        let settings = """
            {"serial": {"enabled": true, "device": "/dev/ttyUSB0"},
             "tunnel": {"relay": "relay.example.com:7443", "cert": "device.pem", "key": "device-key.pem", "ca": "relay-ca.pem"}}
            """
        try write(settings, "etc/settings.json")
        try write("{\"operator\": true}", "etc/params_config.json")
        for name in ["device.pem", "device-key.pem", "relay-ca.pem"] { try write("PEM", "etc/" + name) }
        for name in [
            "telemetry-queue.sqlite", "telemetry-queue.sqlite-wal", "mqtt-credentials.json", "settings.json", "config-probation.json",
        ] {
            try write("state", "state/" + name)
        }
        try write("{\"serial\": {\"enabled\": false}}", "defaults/settings.json")
        try write("{\"packaged\": true}", "defaults/params_config.json")
        reset = FactoryReset(
            paths: AgentPaths(
                settings: root + "/etc/settings.json", params: root + "/etc/params_config.json", stateDirectory: root + "/state"),
            defaults: root + "/defaults")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func write(_ text: String, _ path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: root + "/" + path))
    }

    private func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: root + "/" + path) }

    private func read(_ path: String) -> String { (try? String(contentsOfFile: root + "/" + path, encoding: .utf8)) ?? "" }

    private func assertFactoryState(file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(exists("etc/device.pem"), "the device certificate is gone", file: file, line: line)
        XCTAssertFalse(exists("etc/device-key.pem"), "the device key is gone", file: file, line: line)
        XCTAssertTrue(exists("etc/relay-ca.pem"), "the relay's CA ships with the gateway and stays", file: file, line: line)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: root + "/state"), [], "queue, credentials, pushed files, marker: all gone",
            file: file, line: line)
        XCTAssertEqual(read("etc/settings.json"), "{\"serial\": {\"enabled\": false}}", file: file, line: line)
        XCTAssertEqual(read("etc/params_config.json"), "{\"packaged\": true}", file: file, line: line)
    }

    func testAResetRemovesCredentialsAndStateAndPutsTheDefaultsBack() throws {
        let plan = reset.plan()
        XCTAssertEqual(plan.remove, [root + "/etc/device.pem", root + "/etc/device-key.pem"])
        try reset.request(plan)
        XCTAssertTrue(reset.isPending)
        let outcome = try reset.complete(logger: Logger(label: "test"))
        XCTAssertEqual(outcome.restored, [root + "/etc/params_config.json", root + "/etc/settings.json"])
        XCTAssertTrue(outcome.removed.contains(root + "/state/telemetry-queue.sqlite"))
        XCTAssertFalse(reset.isPending)
        assertFactoryState()
    }

    func testAResetCutAtAnyStepFinishesTheSamePlan() throws {
        try reset.request(reset.plan())
        // Cut after some of the work: the credentials gone and the settings already the packaged ones.
        try FileManager.default.removeItem(atPath: root + "/etc/device.pem")
        try write("{\"serial\": {\"enabled\": false}}", "etc/settings.json")
        try FileManager.default.removeItem(atPath: root + "/state/telemetry-queue.sqlite")
        XCTAssertTrue(reset.isPending, "the marker goes last")
        _ = try reset.complete(logger: Logger(label: "test"))
        assertFactoryState()
        XCTAssertFalse(reset.isPending)
        XCTAssertEqual(try reset.complete(logger: Logger(label: "test")).removed, [], "running it again changes nothing")
    }

    func testAButtonsEmptyMarkerIsEnough() throws {
        try write("", "state/factory-reset.pending")
        XCTAssertTrue(reset.isPending)
        _ = try reset.complete(logger: Logger(label: "test"))
        assertFactoryState()
    }

    func testAMarkerThatIsNotAPlanIsPlannedAfreshAndRelativePathsAreNeverTaken() throws {
        try write("{\"remove\": [\"../../etc/passwd\"], \"restore\": {}}", "state/factory-reset.pending")
        _ = try reset.complete(logger: Logger(label: "test"))
        assertFactoryState()
    }

    func testASecondAgentOnTheSameStateFolderIsRefused() throws {
        var first: AgentLock? = try AgentLock(stateDirectory: root + "/state")
        XCTAssertThrowsError(try AgentLock(stateDirectory: root + "/state")) { error in
            guard case AgentLock.Failure.held(let pid) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(pid, getpid(), "the holder wrote its process ID")
        }
        XCTAssertNotNil(first)
        first = nil
        XCTAssertNoThrow(try AgentLock(stateDirectory: root + "/state"), "the lock goes with its holder")
    }

    func testASettingsFileThatFailsItsChecksStillHasItsCredentialsRemoved() throws {
        // "on_demand" without an enabled mqtt section does not pass the checks.
        try write(
            #"{"tunnel": {"relay": "r:1", "mode": "on_demand", "cert": "device.pem", "key": "/nowhere/key.pem", "ca": "relay-ca.pem"}}"#,
            "etc/settings.json")
        XCTAssertEqual(reset.plan().remove, [root + "/etc/device.pem", "/nowhere/key.pem"])
    }
}
