import XCTest

@testable import AgentConfig

/// What a settings.json pushed by the portal may change: never the local-only sections
/// (`tunnel`, `portal`), the broker only over TLS verified with the gateway's own CA.
final class PortalSettingsRuleTests: XCTestCase {
    static let tunnel = AgentSettings.Tunnel(
        relay: "relay.example.com:7443", cert: "/etc/a/device.pem", key: "/etc/a/device-key.pem", ca: "/etc/a/relay-ca.pem")
    static let tlsBroker = AgentSettings.MQTT(uri: "mqtts://broker.example.com:8883", ca: "/etc/a/broker-ca.pem")
    static let local = AgentSettings(mqtt: tlsBroker, tunnel: tunnel, portal: .init(rollbackGrace: 30))

    private func problems(_ pushed: AgentSettings, local: AgentSettings = local) -> [String] {
        switch PortalSettingsRule.effective(pushed: pushed, local: local) {
        case .success: return []
        case .failure(let refusal): return refusal.problems.map(\.description)
        }
    }

    func testAPushWithoutLocalOnlySectionsKeepsTheGatewaysOwn() throws {
        let pushed = AgentSettings(serial: .init(device: "/dev/ttyS3"), mqtt: Self.tlsBroker)
        let effective = try PortalSettingsRule.effective(pushed: pushed, local: Self.local).get()
        XCTAssertEqual(effective.tunnel, Self.tunnel)
        XCTAssertEqual(effective.portal, Self.local.portal)
        XCTAssertEqual(effective.serial.device, "/dev/ttyS3", "the pushed sections are in effect")
        XCTAssertEqual(
            try PortalSettingsRule.effective(pushed: AgentSettings(mqtt: Self.tlsBroker, tunnel: Self.tunnel), local: Self.local).get()
                .tunnel,
            Self.tunnel, "an identical tunnel section changes nothing and is accepted")
    }

    func testAPushThatChangesTheTunnelIsRefusedNamingTunnelAndTheKeys() {
        let elsewhere = AgentSettings.Tunnel(
            relay: "evil.example.com:7443", cert: "/etc/a/device.pem", key: "/etc/a/device-key.pem", ca: "/tmp/evil-ca.pem")
        XCTAssertEqual(
            problems(AgentSettings(mqtt: Self.tlsBroker, tunnel: elsewhere)),
            [
                "$.tunnel: found changes to relay, ca, expected no tunnel section, or the gateway's own unchanged: the tunnel section is local-only (the gateway's settings.json)"
            ])
        let onDemand = AgentSettings.Tunnel(
            relay: Self.tunnel.relay, mode: "on_demand", cert: Self.tunnel.cert, key: Self.tunnel.key, ca: Self.tunnel.ca)
        XCTAssertEqual(
            problems(AgentSettings(mqtt: Self.tlsBroker, tunnel: onDemand)).map { String($0.prefix(27)) }, ["$.tunnel: found changes to "])
        XCTAssertEqual(
            problems(AgentSettings(mqtt: Self.tlsBroker, tunnel: Self.tunnel), local: AgentSettings(mqtt: Self.tlsBroker)).first?.hasPrefix(
                "$.tunnel: found a tunnel section on a gateway without one"), true)
        XCTAssertEqual(
            problems(AgentSettings(mqtt: Self.tlsBroker, portal: .init(rollbackGrace: 86_400))).map { String($0.prefix(8)) }, ["$.portal"])
        // Updates over the air run code: the portal can neither switch them on nor change them.
        XCTAssertEqual(
            problems(AgentSettings(ota: .init(enabled: true), mqtt: Self.tlsBroker)).map { String($0.prefix(5)) }, ["$.ota"])
        XCTAssertEqual(
            problems(
                AgentSettings(ota: .init(enabled: true, publicKey: ""), mqtt: Self.tlsBroker),
                local: AgentSettings(ota: .init(enabled: true, publicKey: "/etc/tunnel-agent/ota-public.pem"), mqtt: Self.tlsBroker)
            ).map { String($0.prefix(5)) }, ["$.ota"])
    }

    func testTheBrokerMovesOnlyOverTLSWithTheGatewaysOwnCA() {
        let moved = AgentSettings.MQTT(uri: "mqtts://other.example.com:9883", ca: "/etc/a/broker-ca.pem")
        XCTAssertEqual(problems(AgentSettings(mqtt: moved)), [], "fleet migration over verified TLS")
        XCTAssertEqual(
            problems(AgentSettings(mqtt: .init(uri: "mqtt://broker.example.com:1883", ca: "/etc/a/broker-ca.pem"))),
            [
                #"$.mqtt.uri: found "mqtt://broker.example.com:1883" (cleartext), expected an mqtts:// broker: the gateway's own settings.json reaches its broker over TLS, and a push may not weaken that"#
            ])
        XCTAssertEqual(
            problems(AgentSettings(mqtt: .init(uri: "mqtts://broker.example.com:8883", ca: "/tmp/evil-ca.pem"))),
            [
                #"$.mqtt.ca: found "/tmp/evil-ca.pem", expected "/etc/a/broker-ca.pem", as in the gateway's own settings.json: a push may not change what the broker is verified against"#
            ])
        XCTAssertEqual(
            problems(AgentSettings(mqtt: .init(uri: "mqtts://broker.example.com:8883"))).map { String($0.prefix(62)) },
            [
                "$.mqtt.ca: found nothing (the system's trust store), expected "
            ], "dropping the CA trusts every public CA instead of the gateway's own")
        XCTAssertEqual(
            problems(AgentSettings(mqtt: .init(enabled: false, uri: "mqtt://x:1")), local: Self.local).count, 1,
            "a disabled section may not weaken the transport either")
    }

    func testAPlaintextGatewayKeepsItsBrokerOrMovesToTLS() {
        let plain = AgentSettings(mqtt: .init(uri: "mqtt://127.0.0.1:1883"), tunnel: Self.tunnel)
        XCTAssertEqual(problems(AgentSettings(mqtt: .init(uri: "mqtt://127.0.0.1:1883", attrSendPeriod: 60)), local: plain), [])
        XCTAssertEqual(problems(AgentSettings(mqtt: .init(uri: "mqtts://broker.example.com")), local: plain), [], "stronger is allowed")
        XCTAssertEqual(
            problems(AgentSettings(mqtt: .init(uri: "mqtts://broker.example.com", ca: "/tmp/x.pem")), local: plain).map {
                String($0.prefix(9))
            },
            ["$.mqtt.ca"], "but only with the gateway's own trust anchors")
        XCTAssertEqual(
            problems(AgentSettings(mqtt: .init(uri: "mqtt://10.0.0.9:1883")), local: plain),
            [
                #"$.mqtt.uri: found "mqtt://10.0.0.9:1883" (cleartext, another broker), expected the gateway's own broker, or an mqtts:// broker verified with the gateway's own CA: a push moves the broker only over TLS"#
            ])
    }

    func testAnOnDemandGatewayKeepsAnEnabledUplink() {
        let onDemand = AgentSettings.Tunnel(relay: "r:1", mode: "on_demand", cert: "c", key: "k", ca: "a")
        let local = AgentSettings(mqtt: .init(uri: "mqtt://b:1883"), tunnel: onDemand)
        XCTAssertEqual(
            problems(AgentSettings(mqtt: .init(enabled: false, uri: "mqtt://b:1883")), local: local).map { String($0.prefix(7)) },
            ["$.mqtt:"])
    }
}
