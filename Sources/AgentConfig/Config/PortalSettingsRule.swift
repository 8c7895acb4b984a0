/// What a settings.json pushed by the portal may change, against the gateway's own file. The
/// portal is shared with customers: it may tune acquisition and the uplink, and move the
/// broker only to one reached over TLS and verified with the gateway's own trust anchors. It
/// never changes the local-only sections (`tunnel`, `portal`, `ota`: an update runs code). Pure: the caller reads the files.
public enum PortalSettingsRule {
    /// The settings in effect for `pushed` (paths already resolved against the local file's
    /// folder) on a gateway whose own file is `local`: the pushed sections with the local-only
    /// ones of `local`; or every reason to refuse it, each naming its JSON path.
    public static func effective(pushed: AgentSettings, local: AgentSettings) -> Result<AgentSettings, Refusal> {
        var problems: [ConfigReport.Problem] = []
        if let tunnel = pushed.tunnel, tunnel != local.tunnel {
            problems.append(
                .init(
                    path: "$.tunnel",
                    found: local.tunnel.map { "changes to " + differences(tunnel, $0) } ?? "a tunnel section on a gateway without one",
                    expected:
                        "no tunnel section, or the gateway's own unchanged: the tunnel section is local-only (the gateway's settings.json)")
            )
        }
        if let portal = pushed.portal, portal != local.portal {
            problems.append(
                .init(
                    path: "$.portal", found: "a portal section different from the gateway's own",
                    expected:
                        "no portal section, or the gateway's own unchanged: the portal section is local-only (the gateway's settings.json)")
            )
        }
        if let ota = pushed.ota, ota != local.ota {
            problems.append(
                .init(
                    path: "$.ota", found: "an ota section different from the gateway's own",
                    expected:
                        "no ota section, or the gateway's own unchanged: the ota section is local-only (updates over the air run code on the gateway)"
                ))
        }
        if let mqtt = pushed.mqtt { problems += brokerProblems(mqtt, local: local.mqtt) }
        let settings = pushed.withLocalOnlySections(of: local)
        if settings.tunnel?.mode == "on_demand", settings.mqtt?.enabled != true {
            problems.append(
                .init(
                    path: "$.mqtt", found: "no enabled mqtt section",
                    expected: #"an enabled mqtt section: this gateway's tunnel is "on_demand", opened over MQTT"#))
        }
        return problems.isEmpty ? .success(settings) : .failure(Refusal(problems: problems))
    }

    /// Every reason to refuse a pushed file, as its problems.
    public struct Refusal: Error, Equatable {
        public let problems: [ConfigReport.Problem]
    }

    /// The broker rule: never a weaker transport than the gateway's own file, and with TLS never
    /// a CA other than the gateway's own (`ca` empty is the system's store, and only matches
    /// an empty local `ca`). libmosquitto always verifies the chain and the host name
    /// (`SSL_VERIFY_PEER`, no insecure option is ever set), so the CA is what verification
    /// depends on. Over cleartext only the gateway's own broker may stay.
    public static func brokerProblems(_ pushed: AgentSettings.MQTT, local: AgentSettings.MQTT?) -> [ConfigReport.Problem] {
        guard let target = BrokerAddress(uri: pushed.uri) else { return [] }  // the reader already refused it
        let own = local.flatMap { BrokerAddress(uri: $0.uri) }
        let ownCA = local?.ca ?? ""
        guard pushed.usesTLS else {
            if local?.usesTLS == true {
                return [
                    .init(
                        path: "$.mqtt.uri", found: "\"\(pushed.uri)\" (cleartext)",
                        expected:
                            "an mqtts:// broker: the gateway's own settings.json reaches its broker over TLS, and a push may not weaken that"
                    )
                ]
            }
            guard let own, own.host == target.host, own.port == target.port else {
                return [
                    .init(
                        path: "$.mqtt.uri", found: "\"\(pushed.uri)\" (cleartext, another broker)",
                        expected:
                            "the gateway's own broker, or an mqtts:// broker verified with the gateway's own CA: a push moves the broker only over TLS"
                    )
                ]
            }
            return []
        }
        guard pushed.ca == ownCA else {
            return [
                .init(
                    path: "$.mqtt.ca", found: pushed.ca.isEmpty ? "nothing (the system's trust store)" : "\"\(pushed.ca)\"",
                    expected: (ownCA.isEmpty ? "no ca (the system's trust store)" : "\"\(ownCA)\"")
                        + ", as in the gateway's own settings.json: a push may not change what the broker is verified against")
            ]
        }
        return []
    }

    /// The keys of `pushed` that differ from `local`, for the refusal.
    static func differences(_ pushed: AgentSettings.Tunnel, _ local: AgentSettings.Tunnel) -> String {
        let keys: [(String, Bool)] = [
            ("relay", pushed.relay != local.relay), ("mode", pushed.mode != local.mode), ("cert", pushed.cert != local.cert),
            ("key", pushed.key != local.key), ("ca", pushed.ca != local.ca), ("ping_interval", pushed.pingInterval != local.pingInterval),
            ("peer_timeout", pushed.peerTimeout != local.peerTimeout), ("reconnect_max", pushed.reconnectMax != local.reconnectMax),
            ("live_telemetry_period", pushed.liveTelemetryPeriod != local.liveTelemetryPeriod),
            ("renew_before_days", pushed.renewBeforeDays != local.renewBeforeDays),
        ]
        return keys.filter(\.1).map(\.0).joined(separator: ", ")
    }
}
