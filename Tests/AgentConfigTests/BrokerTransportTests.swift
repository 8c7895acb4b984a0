import XCTest

@testable import AgentConfig

/// When the uplink speaks TLS: `mqtts://`, port 8883 whatever the scheme (the vendor's files
/// write `mqtt://host:8883` and mean TLS), or a client certificate configured.
final class BrokerTransportTests: XCTestCase {
    private func mqtt(_ uri: String, cert: String = "", key: String = "") -> AgentSettings.MQTT {
        AgentSettings.MQTT(uri: uri, cliKey: key, cliCert: cert)
    }

    func testTheVendorsPort8883MeansTLSWhateverTheScheme() {
        XCTAssertTrue(mqtt("mqtt://rms.emus.io:8883").usesTLS)
        XCTAssertTrue(mqtt("mqtts://broker").usesTLS)
        XCTAssertTrue(mqtt("mqtts://broker:9883").usesTLS)
        XCTAssertEqual(BrokerAddress(uri: "mqtt://rms.emus.io:8883")?.usesTLS, true)
        XCTAssertEqual(BrokerAddress(uri: "mqtt://rms.emus.io:8883")?.description, "mqtt://rms.emus.io:8883", "the scheme as written")
    }

    func testAClientCertificateMeansTLS() {
        XCTAssertTrue(mqtt("mqtt://broker:1884", cert: "/etc/c.pem", key: "/etc/k.pem").usesTLS)
        XCTAssertTrue(mqtt("mqtt://broker", cert: "/etc/c.pem").usesTLS)
    }

    func testCleartextOnlyForAnExplicitMqttSchemeOnAnotherPortWithoutCertificates() {
        XCTAssertFalse(mqtt("mqtt://broker").usesTLS)
        XCTAssertFalse(mqtt("mqtt://127.0.0.1:1884").usesTLS)
        XCTAssertFalse(AgentSettings.MQTT(uri: "mqtt://broker").hasClientCertificate, "the default names no certificate")
    }

    func testFileProblemsNameTheFileThatCannotBeRead() {
        let settings = mqtt("mqtt://broker:8883", cert: "/etc/c.pem", key: "/missing/k.pem")
        let problems = settings.fileProblems { $0 == "/etc/c.pem" }
        XCTAssertEqual(
            problems.map(\.description),
            [
                "$.mqtt.cli_key: found no readable file at /missing/k.pem, expected a readable PEM file (the uplink never connects without its configured client certificate)"
            ])
        XCTAssertEqual(mqtt("mqtt://broker").fileProblems { _ in false }, [], "nothing configured, nothing to read")
    }

    func testAPushMayNotTurnTheVendorsTLSPortIntoCleartext() {
        let local = mqtt("mqtt://broker.example:8883")
        XCTAssertEqual(PortalSettingsRule.brokerProblems(mqtt("mqtt://broker.example:8883"), local: local), [])
        let weaker = PortalSettingsRule.brokerProblems(mqtt("mqtt://broker.example:1883"), local: local)
        XCTAssertEqual(weaker.map(\.path), ["$.mqtt.uri"])
    }
}
