import Foundation
import TestSupport
import XCTest

@testable import AgentConfig

/// docs/schema agrees with the validator: each document of a corpus (valid files and files
/// with one problem of form each) is judged the same by `check-config` and by a JSON Schema
/// draft 2020-12 validator (Python's jsonschema). The semantic checks the schemas cannot
/// express are listed in their `$comment` and left out of the corpus.
final class SchemaAgreementTests: XCTestCase {
    static let tunnel = ConfigFixtures.tunnel

    static let settingsCorpus: [(String, Bool)] = [
        (SettingsTests.manualExample, true),
        ("{\(tunnel)}", true),
        (#"{"general": null, "wifi": null, "ota": null, "cellular": null, "can": null, "serial": null, "mqtt": null, \#(tunnel)}"#, true),
        (#"{"serial": {"type": null, "protocol": null, "speed": 115200.0}, "can": {"protocol": null}, "extra": [1], \#(tunnel)}"#, true),
        (#"{"wifi": {"rss_i_threshold": 255, "access_points": null, "admin_page": null}, \#(tunnel)}"#, true),
        (
            #"{"mqtt": {"uri": "mqtts://[::1]:8883/x"}, "tunnel": {"relay": "[::1]:7443", "cert": "c", "key": "k", "ca": "a", "reconnect_max": 0.5}}"#,
            true
        ),
        (#"{"general": {"power_saving": "yes"}, \#(tunnel)}"#, false),
        (#"{"general": 5, \#(tunnel)}"#, false),
        (#"{"wifi": {"rssi_threshold": 256}, \#(tunnel)}"#, false),
        (#"{"wifi": {"access_points": {}}, \#(tunnel)}"#, false),
        (#"{"wifi": {"access_points": [1]}, \#(tunnel)}"#, false),
        (#"{"wifi": {"admin_page": {"timeout": -1}}, \#(tunnel)}"#, false),
        (#"{"wifi": {"admin_page": {"listen": "192.168.4.1:8443"}}, \#(tunnel)}"#, true),
        (#"{"wifi": {"admin_page": {"listen": "[::]:443"}}, \#(tunnel)}"#, true),
        (#"{"wifi": {"admin_page": {"listen": "8443"}}, \#(tunnel)}"#, false),
        (#"{"wifi": {"admin_page": {"listen": "0.0.0.0:http"}}, \#(tunnel)}"#, false),
        (#"{"ota": {"server_cert": 1}, \#(tunnel)}"#, false),
        (#"{"cellular": {"apn": null}, \#(tunnel)}"#, false),
        (#"{"can": {"speed": 0}, \#(tunnel)}"#, false),
        (#"{"can": {"speed": 1000001}, \#(tunnel)}"#, false),
        (#"{"can": {"protocol": "J1939"}, \#(tunnel)}"#, false),
        (#"{"can": {"interface": ""}, \#(tunnel)}"#, false),
        (#"{"serial": {"speed": 4294967296}, \#(tunnel)}"#, false),
        (#"{"serial": {"speed": 9600.5}, \#(tunnel)}"#, false),
        (#"{"serial": {"device": null}, \#(tunnel)}"#, false),
        (#"{"serial": {"protocol": "modbus"}, \#(tunnel)}"#, false),
        (#"{"mqtt": {"uri": "http://broker"}, \#(tunnel)}"#, false),
        (#"{"mqtt": {"uri": "mqtt://broker:70000"}, \#(tunnel)}"#, false),
        (#"{"mqtt": {"attr_send_period": 0}, \#(tunnel)}"#, false),
        (#"{"serial": {}}"#, true),
        (#"{"tunnel": null}"#, true),
        (#"{"portal": {"rollback_grace": 5}, \#(tunnel)}"#, true),
        (#"{"portal": {"rollback_grace": 4}, \#(tunnel)}"#, false),
        (#"{"portal": {"rollback_grace": "long"}}"#, false),
        (#"{"tunnel": 5}"#, false),
        (#"{"tunnel": {"relay": "relay", "cert": "c", "key": "k", "ca": "a"}}"#, false),
        (#"{"tunnel": {"relay": "relay:0", "cert": "c", "key": "k", "ca": "a"}}"#, false),
        (#"{"tunnel": {"relay": "r:1", "cert": "c", "key": "k", "ca": "a", "mode": "on_demand"}}"#, false),
        (#"{"mqtt": {"enabled": false}, "tunnel": {"relay": "r:1", "cert": "c", "key": "k", "ca": "a", "mode": "on_demand"}}"#, false),
        (#"{"mqtt": {}, "tunnel": {"relay": "r:1", "cert": "c", "key": "k", "ca": "a", "mode": "on_demand"}}"#, true),
        (#"{"tunnel": {"relay": "r:1", "cert": "c", "key": "k", "ca": "a", "mode": "sometimes"}}"#, false),
        (
            #"{"mqtt": {"ca": "ca.pem", "access_token": "t", "client_id": "c", "publish_rate": 0, "sequence_key": "seq", "queue": {"max_bytes": 4096, "max_age": 60}, "provision": {"device_name": "d", "key": "k", "secret": "s"}}, \#(tunnel)}"#,
            true
        ),
        (#"{"mqtt": {"publish_rate": -1}, \#(tunnel)}"#, false),
        (#"{"tunnel": {"relay": "r:1", "cert": "c", "key": "k", "ca": "a", "live_telemetry_period": 0}}"#, true),
        (#"{"tunnel": {"relay": "r:1", "cert": "c", "key": "k", "ca": "a", "live_telemetry_period": 2.5}}"#, true),
        (#"{"tunnel": {"relay": "r:1", "cert": "c", "key": "k", "ca": "a", "live_telemetry_period": 0.5}}"#, false),
        (#"{"mqtt": {"queue": {"max_bytes": 100}}, \#(tunnel)}"#, false),
        (#"{"mqtt": {"queue": {"max_age": 1.5}}, \#(tunnel)}"#, false),
        (#"{"mqtt": {"provision": {"device_name": "d", "key": "k"}}, \#(tunnel)}"#, false),
        (#"{"mqtt": {"provision": {"device_name": "", "key": "k", "secret": "s"}}, \#(tunnel)}"#, false),
        (#"{"tunnel": {"relay": "r:1", "cert": "", "key": "k", "ca": "a"}}"#, false),
        (#"{"tunnel": {"relay": "r:1", "cert": "c", "ca": "a"}}"#, false),
        (#"{"tunnel": {"relay": "r:1", "cert": "c", "key": "k", "ca": "a", "ping_interval": 0}}"#, false),
        (#"{"tunnel": {"relay": "r:1", "cert": "c", "key": "k", "ca": "a", "reconnect_max": 0}}"#, false),
        ("[]", false),
    ]

    /// A params file with one CAN param.
    static func can(_ param: String, packet: String = "") -> String {
        #"{"protocols": {"can": {"packets": {"X19B50000": {\#(packet)"params": {"p": {\#(param)}}}}}}}"#
    }

    /// A params file with one G1 param and a format F.
    static func g1(_ param: String, format: String = #""encoding": "HEX""#) -> String {
        #"{"protocols": {"g1": {"formats": {"F": {\#(format)}}, "packets": {"CV1": {"params": {"p": {\#(param)}}}}}}}"#
    }

    static let paramsCorpus: [(String, Bool)] = [
        (ParamsConfigTests.manualExamples, true),
        ("{}", true),
        (#"{"comment": null, "protocols": null, "routes": null}"#, true),
        (#"{"protocols": {"g1": null, "can": null, "mqtt": {"any": 1}, "modbus": 2}}"#, true),
        (#"{"protocols": {"g1": {"packets": {"voltages": {"id": "BV1"}}}, "can": {"packets": {"cells": {"id": "S7FF"}}}}}"#, true),
        (g1(#""format": "F", "units": null, "encoding": null, "route_to_mqtt": null, "field": 2.0"#), true),
        (can(#""bits": 8.0, "packing": null, "type": null, "word_starts": null"#), true),
        (#"{"comment": 5}"#, false),
        (#"{"protocols": []}"#, false),
        (#"{"protocols": {"g1": {"request_period": 0}}}"#, false),
        (#"{"protocols": {"can": {"request_period": "1"}}}"#, false),
        (g1("", format: #""factor": 0"#), false),
        (g1("", format: #""encoding": "BASE64""#), false),
        (g1(#""decimals": 16"#), false),
        (g1(#""decimals": -2"#), false),
        (g1(#""field": 0"#), false),
        (g1(#""field": 256"#), false),
        (g1(#""bit": 64"#), false),
        (g1(#""index_field": 0, "encoding": "BYTES""#), false),
        (g1(#""encoding": "BINARY""#), false),
        (g1(#""type": "INT""#), false),
        (g1(#""route_to_mqtt": """#), false),
        (g1(#""big_end": "true""#), false),
        (#"{"protocols": {"g1": {"packets": {"cv1": {}}}}}"#, false),
        (#"{"protocols": {"g1": {"packets": {"volts": {"id": null}}}}}"#, false),
        (#"{"protocols": {"g1": {"packets": {"CV1": {"id": "cv1"}}}}}"#, false),
        (#"{"protocols": {"g1": {"packets": {"CV1": {"params": []}}}}}"#, false),
        (#"{"protocols": {"can": {"packets": {"Y1": {}}}}}"#, false),
        (#"{"protocols": {"can": {"packets": {"X20000000": {}}}}}"#, false),
        (#"{"protocols": {"can": {"packets": {"cells": {"id": "S800"}}}}}"#, false),
        (can("", packet: #""dlc": 9, "#), false),
        (can("", packet: #""dlc": -2, "#), false),
        (can("", packet: #""range": 0, "#), false),
        (can("", packet: #""request_period": -1, "#), false),
        (can(#""start": 64"#), false),
        (can(#""bits": 0"#), false),
        (can(#""bits": 65"#), false),
        (can(#""packing": "ARRAY""#), false),
        (can(#""pack_length": 0"#), false),
        (can(#""pack_length": 65, "packing": "LIST""#), false),
        (can(#""word_starts": [64], "packing": "WORDS""#), false),
        (can(#""word_starts": 3"#), false),
        (can(#""valid_top": "4""#), false),
        (can(#""send_invalid": 1"#), false),
        (can(#""offset": null"#), false),
        (#"{"routes": {}}"#, false),
        (#"{"routes": [1]}"#, false),
        (#"{"routes": [{"to": {"prot": "mqtt", "param": "x"}}]}"#, false),
        (#"{"routes": [{"from": {"prot": "modbus", "param": "x"}, "to": {"prot": "mqtt", "param": "x"}}]}"#, false),
        (#"{"routes": [{"from": {"prot": "g1", "param": ""}, "to": {"prot": "mqtt", "param": "x"}}]}"#, false),
        (#"{"routes": [{"from": {"prot": "can", "id": "Q1", "param": "x"}, "to": {"prot": "mqtt", "param": "x"}}]}"#, false),
        (#"{"routes": [{"from": {"prot": "g1", "param": "x"}, "to": null}]}"#, false),
    ]

    func testTheSettingsSchemaAgreesWithTheValidator() throws {
        try compare(schema: "settings.schema.json", corpus: Self.settingsCorpus) { ConfigFixtures.settings($0).report }
    }

    func testTheParamsSchemaAgreesWithTheValidator() throws {
        var corpus = Self.paramsCorpus
        corpus.append((try String(contentsOf: XCTUnwrap(ParamsConfig.shippedDefaultURL), encoding: .utf8), true))
        try compare(schema: "params_config.schema.json", corpus: corpus) { ConfigFixtures.params($0).report }
    }

    func testTheSchemasUseTheValidatorsPatterns() throws {
        let settings = try String(
            contentsOf: ConfigFixtures.root.appendingPathComponent("docs/schema/settings.schema.json"), encoding: .utf8)
        let params = try String(
            contentsOf: ConfigFixtures.root.appendingPathComponent("docs/schema/params_config.schema.json"), encoding: .utf8)
        func json(_ pattern: String) -> String { pattern.replacingOccurrences(of: "\\", with: "\\\\") }
        XCTAssertTrue(settings.contains(json(AgentSettings.relayPattern)))
        XCTAssertTrue(settings.contains(json(AgentSettings.mqttURIPattern)))
        XCTAssertTrue(params.contains(CANPacketID.pattern))
        XCTAssertTrue(params.contains(ParamsConfig.sentencePattern))
    }

    /// Judges every document with the validator and with jsonschema, and lists disagreements.
    private func compare(schema: String, corpus: [(String, Bool)], check: (String) -> ConfigReport) throws {
        let folder = try ConfigFixtures.temporaryFolder(for: self)
        let paths = try corpus.enumerated().map { index, entry in try ConfigFixtures.write(entry.0, to: "doc\(index).json", in: folder) }
        let schemaPath = ConfigFixtures.root.appendingPathComponent("docs/schema/\(schema)").path
        let verdicts = try jsonSchemaVerdicts(schema: schemaPath, documents: paths)
        for (index, entry) in corpus.enumerated() {
            let report = check(entry.0)
            XCTAssertEqual(report.isValid, entry.1, "validator on \(entry.0): \(report.problemLines)")
            XCTAssertEqual(verdicts[index].valid, entry.1, "jsonschema on \(entry.0): \(verdicts[index].message)")
        }
    }

    /// jsonschema's verdict on each document; skips the test when Python's jsonschema is missing.
    private func jsonSchemaVerdicts(schema: String, documents: [String]) throws -> [(valid: Bool, message: String)] {
        let script = """
            import json, sys
            import jsonschema
            schema = json.load(open(sys.argv[1], encoding="utf-8"))
            jsonschema.Draft202012Validator.check_schema(schema)
            validator = jsonschema.Draft202012Validator(schema)
            for path in sys.argv[2:]:
                errors = list(validator.iter_errors(json.load(open(path, encoding="utf-8"))))
                print("valid" if not errors else "invalid " + errors[0].message.replace("\\n", " "))
            """
        let process = Process()
        // Debian's interpreter, where scripts/install-deps puts python3-jsonschema; else the PATH's.
        let debianPython = "/usr/bin/python3"
        if FileManager.default.isExecutableFile(atPath: debianPython) {
            process.executableURL = URL(fileURLWithPath: debianPython)
            process.arguments = ["-c", script, schema] + documents
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, schema] + documents
        }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { throw missingPeer("python3 is not available: \(error)") }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let failure = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if failure.contains("No module named") {
            throw missingPeer("Python's jsonschema is not installed (Debian package python3-jsonschema)")
        }
        XCTAssertEqual(process.terminationStatus, 0, failure)
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, documents.count, failure)
        return lines.map { ($0 == "valid", $0) }
    }
}
