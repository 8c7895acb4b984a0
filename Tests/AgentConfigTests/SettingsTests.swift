import XCTest

@testable import AgentConfig

/// settings.json: the manual's examples and defaults (seed 6.1), our tunnel section, notices
/// for the vendor's hardware and for unknown keys, every problem at once.
final class SettingsTests: XCTestCase {
    /// The container examples of the manual's table, section by section, with the `...` of
    /// `access_points` and `admin_page` filled by their own rows' examples.
    static let manualExample = """
        {
          "general": { "always_connected": true, "connection_period": 300, "wifi_has_priority": true, "power_saving": true, "sdcard_settings_allowed": false },
          "wifi": { "enabled": true, "scan_period": 60, "rssi_threshold": 10,
                    "access_points": [ { "ssid": "EMUS-RMS-AP", "passkey": "emusrmswifi" } ],
                    "admin_page": { "enabled": true, "timeout": 300, "passkey": "emusrmswifi" } },
          "ota": { "enabled": true, "server_cert": "default" },
          "cellular": { "enabled": true, "apn": "internet", "user": "user", "password": "password" },
          "can": { "enabled": true, "speed": 500000, "protocol": "CAN" },
          "serial": { "enabled": true, "type": "RS232", "speed": 57600, "protocol": "g1" },
          "mqtt": { "enabled": true, "uri": "mqtt://rms.emusbms.io:8883", "cli_key": "/spiffs/cli_key.pem", "cli_cert": "/spiffs/cli_cert.pem",
                    "username": "", "password": "", "attr_send_period": 5 },
          \(ConfigFixtures.tunnel)
        }
        """

    func testEverySectionExampleOfTheManualParses() throws {
        let check = ConfigFixtures.settings(Self.manualExample)
        XCTAssertEqual(check.report.problemLines, [])
        let settings = try XCTUnwrap(check.model)
        XCTAssertEqual(
            settings.general,
            .init(alwaysConnected: true, connectionPeriod: 300, wifiHasPriority: true, powerSaving: true, sdcardSettingsAllowed: false))
        XCTAssertEqual(
            settings.wifi,
            .init(
                enabled: true, scanPeriod: 60, rssiThreshold: 10, accessPoints: [.init(ssid: "EMUS-RMS-AP", passkey: "emusrmswifi")],
                adminPage: .init(enabled: true, timeout: 300, passkey: "emusrmswifi")))
        XCTAssertEqual(settings.ota, .init(enabled: true, serverCert: "default"))
        XCTAssertEqual(settings.cellular, .init(enabled: true, apn: "internet", user: "user", password: "password"))
        XCTAssertEqual(settings.can, .init(enabled: true, speed: 500_000, protocol: "CAN"))
        XCTAssertEqual(settings.serial, .init(enabled: true, type: "RS232", speed: 57_600, protocol: "g1"))
        XCTAssertEqual(
            settings.mqtt,
            .init(
                enabled: true, uri: "mqtt://rms.emusbms.io:8883", cliKey: "/spiffs/cli_key.pem", cliCert: "/spiffs/cli_cert.pem",
                username: "", password: "", attrSendPeriod: 5))
    }

    func testVendorHardwareSectionsAreNoticedAsNotApplicableNeverAsProblems() {
        let report = ConfigFixtures.settings(Self.manualExample).report
        XCTAssertTrue(report.isValid)
        XCTAssertEqual(report.noticePaths(.notApplicable), ["$.general", "$.wifi", "$.cellular"])
        XCTAssertEqual(report.noticePaths(.unknownKey), [])
        XCTAssertTrue(report.notices[1].description.hasPrefix("$.wifi: not applicable on this gateway;"), report.notices[1].description)
    }

    func testTheRowExamplesOfTheManualParseInTheirSections() throws {
        let check = ConfigFixtures.settings(
            """
            {"general": {"connection_period": 300, "wifi_has_priority": true, "power_saving": true, "sdcard_settings_allowed": false},
             "wifi": {"enabled": true, "scan_period": 60, "rss_i_threshold": 10,
                      "access_points": [{"ssid": "EMUS-RMS-AP", "passkey": "emusrmswifi"}], "admin_page": {"timeout": 300, "passkey": "emusrmswifi"}},
             "ota": {"server_cert": "default"}, "cellular": {"apn": "internet", "user": "user", "password": "password"},
             "can": {"speed": 57600, "protocol": "CAN"}, "serial": {"type": "RS232"},
             "mqtt": {"uri": "mqtt://rms.emus.io:8883", "cli_key": "/spiffs/cli_key.pem", "cli_cert": "/spiffs/cli_certificate.pem",
                      "username": "", "password": "", "attr_send_period": 5},
             \(ConfigFixtures.tunnel)}
            """)
        XCTAssertEqual(check.report.problemLines, [])
        let settings = try XCTUnwrap(check.model)
        XCTAssertEqual(settings.wifi?.rssiThreshold, 10, "the table's spelling rss_i_threshold is read too")
        XCTAssertEqual(settings.can?.speed, 57_600)
        XCTAssertEqual(settings.mqtt?.cliCert, "/spiffs/cli_certificate.pem")
    }

    func testEmptySectionsTakeTheManualsDefaults() throws {
        let check = ConfigFixtures.settings(
            """
            {"general": {}, "wifi": {"admin_page": {}, "access_points": [{}]}, "ota": {}, "cellular": {}, "can": {}, "serial": {}, "mqtt": {},
             \(ConfigFixtures.tunnel)}
            """)
        let settings = try XCTUnwrap(check.model, check.report.problemLines.joined(separator: "\n"))
        XCTAssertEqual(settings.general?.connectionPeriod, 200)
        XCTAssertEqual(settings.general?.sdcardSettingsAllowed, true)
        XCTAssertEqual(settings.wifi?.scanPeriod, 60)
        XCTAssertEqual(settings.wifi?.rssiThreshold, 10)
        XCTAssertEqual(settings.wifi?.accessPoints, [.init(ssid: "", passkey: "")])
        XCTAssertEqual(settings.wifi?.adminPage, .init(enabled: true, timeout: 300, passkey: ""))
        XCTAssertEqual(settings.ota, .init(enabled: true, serverCert: ""))
        XCTAssertEqual(settings.cellular, .init(enabled: true, apn: "Internet", user: "user", password: "pass"))
        XCTAssertEqual(settings.can?.speed, 250_000)
        XCTAssertEqual(settings.can?.enabled, true)
        XCTAssertEqual(settings.serial, .init(enabled: true, type: "RS232", speed: 57_600, protocol: "g1", device: "/dev/ttyUSB0"))
        XCTAssertEqual(settings.mqtt?.uri, "mqtt://rms.emus.io:8883")
        XCTAssertEqual(settings.mqtt?.cliKey, "", "no client certificate unless one is named (the manual's /spiffs is the vendor's flash)")
        XCTAssertEqual(settings.mqtt?.cliCert, "")
        XCTAssertEqual(settings.mqtt?.usesTLS, true, "the default broker is on port 8883")
        XCTAssertEqual(settings.mqtt?.attrSendPeriod, 10)
        XCTAssertEqual(settings.tunnel?.pingInterval, 15)
        XCTAssertEqual(settings.tunnel?.peerTimeout, 45)
        XCTAssertEqual(settings.tunnel?.mode, "always")
    }

    func testAbsentOrNullSectionsAreNil() throws {
        let settings = try XCTUnwrap(ConfigFixtures.settings(#"{"wifi": null, "can": null, \#(ConfigFixtures.tunnel)}"#).model)
        XCTAssertNil(settings.general)
        XCTAssertNil(settings.wifi)
        XCTAssertNil(settings.can)
        XCTAssertNil(settings.mqtt)
        XCTAssertEqual(settings.serial, AgentSettings.Serial())
    }

    func testUnknownKeysAreNoticedWithTheirPath() throws {
        let check = ConfigFixtures.settings(
            #"{"sdcard": {"x": 1}, "mqtt": {"qos": 1}, "serial": {"parity": "none"}, \#(ConfigFixtures.tunnel)}"#)
        XCTAssertTrue(check.report.isValid)
        XCTAssertEqual(check.report.noticePaths(.unknownKey), ["$.serial.parity", "$.mqtt.qos", "$.sdcard"])
    }

    func testEveryProblemIsReportedWithItsPath() {
        let check = ConfigFixtures.settings(
            """
            {"general": {"power_saving": "yes"},
             "wifi": {"rssi_threshold": 300, "access_points": [{"ssid": 5}]},
             "can": {"speed": 0, "protocol": "J1939"},
             "serial": {"speed": -1, "device": ""},
             "mqtt": {"uri": "http://broker", "attr_send_period": 0},
             "tunnel": {"relay": "relay.example.com", "cert": "", "key": "k.pem", "mode": "sometimes", "ping_interval": 30, "peer_timeout": 20}}
            """)
        XCTAssertNil(check.model)
        XCTAssertEqual(
            check.report.problemLines,
            [
                #"$.general.power_saving: found "yes", expected true or false"#,
                "$.wifi.rssi_threshold: found 300, expected an integer from 0 to 255",
                #"$.wifi.access_points[0].ssid: found 5, expected a string"#,
                "$.can.speed: found 0, expected an integer from 1 to 1000000",
                #"$.can.protocol: found "J1939", expected one of "CAN", "can""#,
                "$.serial.speed: found -1, expected an integer from 1 to 4294967295",
                #"$.serial.device: found "", expected a device path, for example "/dev/ttyUSB0""#,
                #"$.mqtt.uri: found "http://broker", expected mqtt://host:port or mqtts://host:port"#,
                "$.mqtt.attr_send_period: found 0, expected an integer ≥ 1",
                #"$.tunnel.relay: found "relay.example.com", expected host:port with a port from 1 to 65535"#,
                #"$.tunnel.mode: found "sometimes", expected one of "always", "on_demand""#,
                #"$.tunnel.cert: found "", expected a PEM file path"#,
                "$.tunnel.ca: found nothing, expected a PEM file path",
            ])
    }

    func testPeerTimeoutMustExceedThePingIntervalAndIsCheckedOnlyOnWellFormedValues() {
        let tunnel = #""relay": "r:1", "cert": "c", "key": "k", "ca": "a""#
        XCTAssertEqual(
            ConfigFixtures.settings(#"{"tunnel": {\#(tunnel), "ping_interval": 30, "peer_timeout": 20}}"#).report.problemLines,
            [
                "$.tunnel.peer_timeout: found 20 with ping_interval 30, expected more seconds than ping_interval, or a live relay is dropped between two pings"
            ])
        XCTAssertEqual(
            ConfigFixtures.settings(#"{"tunnel": {\#(tunnel), "ping_interval": "often", "peer_timeout": 10}}"#).report.problemLines,
            [#"$.tunnel.ping_interval: found "often", expected an integer from 1 to 86400"#])
    }

    func testAVendorFileWithoutTunnelIsValidAndNoticedAsTunnelOff() throws {
        let vendor = Self.manualExample.replacingOccurrences(of: ",\n  \(ConfigFixtures.tunnel)", with: "")
        XCTAssertFalse(vendor.contains("\"tunnel\""), "the manual's own example, as the vendor writes it")
        let check = ConfigFixtures.settings(vendor)
        XCTAssertEqual(check.report.problemLines, [])
        let settings = try XCTUnwrap(check.model)
        XCTAssertNil(settings.tunnel)
        XCTAssertEqual(settings.tunnelMode, "off")
        XCTAssertEqual(
            settings.reconnectMax, AgentSettings.Tunnel.defaultReconnectMax, "the serial and CAN retry bound still has its default")
        XCTAssertEqual(check.report.noticePaths(.tunnelOff), ["$.tunnel"])
        XCTAssertTrue(
            check.report.notices.first { $0.kind == .tunnelOff }?.description.contains("no link to the relay") == true,
            "the notice says what runs")
        XCTAssertEqual(ConfigFixtures.settings(#"{"tunnel": null}"#).report.problemLines, [], "null is absent, as for every section")
        XCTAssertEqual(
            ConfigFixtures.settings(#"{"tunnel": 5}"#).report.problemLines,
            ["$.tunnel: found 5, expected an object with relay, cert, key and ca (the agent's link to the relay)"])
    }

    func testTheRollbackGraceIsBoundedSoThatItCannotBeSwitchedOff() throws {
        XCTAssertEqual(try XCTUnwrap(ConfigFixtures.settings("{}").model).rollbackGrace, 120)
        XCTAssertEqual(try XCTUnwrap(ConfigFixtures.settings(#"{"portal": {"rollback_grace": 5}}"#).model).rollbackGrace, 5)
        XCTAssertEqual(
            ConfigFixtures.settings(#"{"portal": {"rollback_grace": 0}}"#).report.problemLines,
            ["$.portal.rollback_grace: found 0, expected a number of seconds from 5 to 86400"])
    }

    func testBrokenJSONIsAProblem() {
        XCTAssertEqual(
            ConfigFixtures.settings("{\n  \"serial\": {\"speed\": 57600,}\n}").report.problemLines,
            [#"$: found "}" at line 2, column 29, expected valid JSON there: a key in double quotes"#])
        XCTAssertEqual(
            ConfigFixtures.settings("[1]").report.problemLines, ["$: found an array, expected a JSON object with the settings sections"])
    }

    func testLoadResolvesRelativePathsAndKeepsTheExistingAPI() throws {
        let folder = try ConfigFixtures.temporaryFolder(for: self)
        let text = #"{"serial": {"device": "/dev/ttyS1"}, "mqtt": {"cli_key": "mqtt-key.pem"}, \#(ConfigFixtures.tunnel)}"#
        let settings = try AgentSettings.load(path: ConfigFixtures.write(text, to: "settings.json", in: folder))
        XCTAssertEqual(settings.tunnel?.cert, folder.appendingPathComponent("device.pem").path)
        XCTAssertEqual(settings.tunnel?.ca, folder.appendingPathComponent("relay-ca.pem").path)
        XCTAssertEqual(settings.mqtt?.cliKey, folder.appendingPathComponent("mqtt-key.pem").path)
        XCTAssertEqual(settings.mqtt?.cliCert, "", "unset stays unset")
        XCTAssertEqual(settings.serial.device, "/dev/ttyS1")
        XCTAssertEqual(settings.serial.speed, 57_600)
        XCTAssertEqual(AgentSettings.Serial(device: "/dev/ttyUSB3").device, "/dev/ttyUSB3")
        let built = AgentSettings(serial: .init(device: "/dev/x"), tunnel: .init(relay: "r:1", cert: "c", key: "k", ca: "a"))
        XCTAssertEqual(built.serial.device, "/dev/x")
    }

    func testLoadRefusesWithEveryProblem() throws {
        let folder = try ConfigFixtures.temporaryFolder(for: self)
        let path = try ConfigFixtures.write(
            #"{"serial": {"speed": "fast"}, "tunnel": {"relay": "r:1", "cert": "c", "key": "k"}}"#, to: "s.json", in: folder)
        XCTAssertThrowsError(try AgentSettings.load(path: path)) { error in
            let loadError = error as? AgentSettings.LoadError
            XCTAssertEqual(loadError?.problems.map(\.path), ["$.serial.speed", "$.tunnel.ca"])
            XCTAssertEqual(
                loadError?.description,
                #"\#(path): $.serial.speed: found "fast", expected an integer from 1 to 4294967295; $.tunnel.ca: found nothing, expected a PEM file path"#
            )
        }
        XCTAssertThrowsError(try AgentSettings.load(path: folder.appendingPathComponent("absent.json").path)) { error in
            XCTAssertTrue("\(error)".contains("found no readable file at"), "\(error)")
        }
    }

    func testTheDeployedExampleLoads() throws {
        let check = AgentSettings.check(path: ConfigFixtures.root.appendingPathComponent("deploy/agent/settings.json").path)
        XCTAssertEqual(check.report.problemLines, [])
        XCTAssertEqual(check.report.noticePaths(.unknownKey), [])
    }
}
