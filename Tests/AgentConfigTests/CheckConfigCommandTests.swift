import Foundation
import TestSupport
import XCTest

@testable import AgentConfig

/// `tunnel-agent check-config`: what it prints and its exit status, through the command and
/// through the built program.
final class CheckConfigCommandTests: XCTestCase {
    var folder: URL!
    var settings: String!
    var params: String!
    var badSettings: String!
    var badParams: String!

    override func setUpWithError() throws {
        folder = try ConfigFixtures.temporaryFolder(for: self)
        settings = try ConfigFixtures.write(#"{"wifi": {"enabled": true}, \#(ConfigFixtures.tunnel)}"#, to: "settings.json", in: folder)
        params = try XCTUnwrap(ParamsConfig.shippedDefaultURL).path
        badSettings = try ConfigFixtures.write(#"{"serial": {"speed": 0}, "color": "red"}"#, to: "bad-settings.json", in: folder)
        badParams = try ConfigFixtures.write(
            #"{"protocols": {"can": {"packets": {"X19B50000": {"params": {"minVolt": {"bits": 70}, "maxVolt": {"start": 64}}}}}}}"#,
            to: "bad-params.json", in: folder)
    }

    func testValidFilesPrintTheirNoticesAndExitZero() throws {
        let outcome = ConfigFilesReport.check(settings: settings, params: params)
        XCTAssertTrue(outcome.valid)
        XCTAssertEqual(
            outcome.text,
            """
            settings.json \(settings!): valid, 1 notice
              notice: $.wifi: not applicable on this gateway; accepted and ignored: the gateway's operating system manages Wi-Fi; only admin_page applies (the agent serves it)
            params_config.json \(params!): valid, 0 notices

            """)
    }

    func testEveryProblemOfBothFilesIsPrintedAndTheExitStatusIsOne() throws {
        let outcome = ConfigFilesReport.check(settings: badSettings, params: badParams)
        XCTAssertFalse(outcome.valid)
        XCTAssertEqual(
            outcome.text,
            """
            settings.json \(badSettings!): 1 problem, 2 notices
              problem: $.serial.speed: found 0, expected an integer from 1 to 4294967295
              notice: $.tunnel: no tunnel; acquisition and uplink only, no link to the relay; pushed by the portal, the gateway's own tunnel section is kept
              notice: $.color: unknown key; ignored
            params_config.json \(badParams!): 2 problems, 0 notices
              problem: $.protocols.can.packets.X19B50000.params.minVolt.bits: found 70, expected an integer from 1 to 64
              problem: $.protocols.can.packets.X19B50000.params.maxVolt.start: found 64, expected an integer from 0 to 63

            """)
        let missing = ConfigFilesReport.check(settings: settings, params: folder.appendingPathComponent("none.json").path)
        XCTAssertFalse(missing.valid, "a missing file is a problem")
    }

    func testTheManualsOwnExampleIsValidWithoutATunnelAndAPollThatChangesTheBMSIsNot() throws {
        // The example names the vendor unit's /spiffs files; here they are beside it.
        let vendor = SettingsTests.manualExample.replacingOccurrences(of: ",\n  \(ConfigFixtures.tunnel)", with: "")
            .replacingOccurrences(of: "/spiffs/", with: "")
        for file in ["cli_key.pem", "cli_cert.pem"] { _ = try ConfigFixtures.write("PEM", to: file, in: folder) }
        let manual = try ConfigFixtures.write(vendor, to: "vendor-settings.json", in: folder)
        let outcome = ConfigFilesReport.check(settings: manual, params: params)
        XCTAssertTrue(outcome.valid, outcome.text)
        XCTAssertFalse(outcome.text.contains("$.tunnel: found nothing"), outcome.text)
        XCTAssertTrue(outcome.text.contains("notice: $.tunnel: no tunnel; acquisition and uplink only"), outcome.text)

        let resetting = try ConfigFixtures.write(#"{"protocols": {"g1": {"packets": {"FD1": {}}}}}"#, to: "reset-params.json", in: folder)
        let refused = ConfigFilesReport.check(settings: settings, params: resetting)
        XCTAssertFalse(refused.valid)
        XCTAssertTrue(
            refused.text.contains("problem: $.protocols.g1.packets.FD1: found sentence FD1 (its request changes the BMS's state)"),
            refused.text)
    }

    func testTheBuiltProgramExitsZeroOnlyWhenBothFilesAreValid() throws {
        // The program sits beside the AgentConfig resource bundle in the build folder.
        let bundle = try XCTUnwrap(ParamsConfig.shippedDefaultURL).deletingLastPathComponent()
        let program = bundle.deletingLastPathComponent().appendingPathComponent("tunnel-agent")
        guard FileManager.default.isExecutableFile(atPath: program.path) else {
            throw missingPeer("tunnel-agent is not built at \(program.path); `swift build --build-tests` builds it")
        }
        XCTAssertEqual(try run(program, ["check-config", "--settings", settings, "--params", params]).status, 0)
        let failed = try run(program, ["check-config", "--settings", settings, "--params", badParams])
        XCTAssertEqual(failed.status, 1)
        XCTAssertTrue(failed.output.contains("problem: $.protocols.can.packets.X19B50000.params.minVolt.bits: found 70"), failed.output)
        XCTAssertEqual(try run(program, ["check-config", "--settings", badSettings, "--params", params]).status, 1)
    }

    private func run(_ program: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    func testAClientCertificateThatCannotBeReadIsAProblemNamingTheFile() throws {
        // The manual's example as the vendor ships it names /spiffs files this gateway does not have.
        let vendor = SettingsTests.manualExample.replacingOccurrences(of: ",\n  \(ConfigFixtures.tunnel)", with: "")
        let outcome = ConfigFilesReport.check(settings: try ConfigFixtures.write(vendor, to: "vendor.json", in: folder), params: params)
        XCTAssertFalse(outcome.valid)
        XCTAssertTrue(
            outcome.text.contains("problem: $.mqtt.cli_cert: found no readable file at /spiffs/cli_cert.pem, expected a readable PEM file"),
            outcome.text)
        XCTAssertTrue(outcome.text.contains("problem: $.mqtt.cli_key: found no readable file at /spiffs/cli_key.pem"), outcome.text)

        let keyOnly = try ConfigFixtures.write(
            #"{"mqtt": {"uri": "mqtts://broker:8883", "cli_key": "key.pem"}}"#, to: "key-only.json", in: folder)
        _ = try ConfigFixtures.write("PEM", to: "key.pem", in: folder)
        let half = ConfigFilesReport.check(settings: keyOnly, params: params)
        XCTAssertFalse(half.valid)
        XCTAssertTrue(half.text.contains("problem: $.mqtt.cli_cert: found nothing, expected a PEM file path: cli_key is set"), half.text)

        let disabled = try ConfigFixtures.write(
            #"{"mqtt": {"enabled": false, "cli_cert": "/nowhere/c.pem", "cli_key": "/nowhere/k.pem"}}"#, to: "off.json", in: folder)
        XCTAssertTrue(ConfigFilesReport.check(settings: disabled, params: params).valid, "a disabled uplink reads no files")
    }
}
