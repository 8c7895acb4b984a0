/// Reading `settings.json` from parsed JSON, recording every problem and notice.
extension AgentSettings {
    /// `tunnel.relay`: `host:port` or `[v6]:port`, port 1–65535. The schema uses the same pattern.
    static let relayPattern =
        #"^(\[[0-9A-Fa-f:.]+\]|[^\s:\[\]]+):(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})$"#
    /// `mqtt.uri`: `mqtt://` or `mqtts://`, a host, an optional port. The schema uses the same pattern.
    static let mqttURIPattern =
        #"^mqtts?://(\[[0-9A-Fa-f:.]+\]|[^\s/:\[\]@]+)(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?(/\S*)?$"#
    /// The vendor-hardware sections and why they do not apply.
    static let vendorSections = [
        "general":
            "connection switching, power saving and the SD card belong to the vendor's unit; the gateway's operating system owns its network",
        "wifi": "the gateway's operating system manages Wi-Fi; only admin_page applies (the agent serves it)",
        "cellular": "the gateway's operating system manages the modem",
    ]

    /// The settings in `root`, with defaults in place of wrong values; every problem and
    /// notice is recorded in `issues`.
    static func read(_ root: JSONValue, issues: ConfigIssues) -> AgentSettings? {
        guard let file = ConfigObjectReader(root, at: .root, issues: issues, expected: "a JSON object with the settings sections") else {
            return nil
        }
        for member in file.members {
            guard let reason = vendorSections[member.key] else { continue }
            file.notice(member.key, .notApplicable, "accepted and ignored: \(reason)")
        }
        let settings = AgentSettings(
            general: file.object("general").map(readGeneral), wifi: file.object("wifi").map(readWifi),
            ota: file.object("ota").map(readOTA), cellular: file.object("cellular").map(readCellular),
            can: file.object("can").map(readCAN), serial: file.object("serial").map(readSerial) ?? Serial(),
            mqtt: file.object("mqtt").map(readMQTT), tunnel: readTunnel(in: file), portal: file.object("portal").map(readPortal))
        if settings.tunnel?.mode == "on_demand", settings.mqtt?.enabled != true {
            file.problem(
                "tunnel", found: #"mode "on_demand" without an enabled "mqtt" section"#,
                expected: #"an enabled "mqtt" section (the tunnel is opened by an MQTT RPC) or mode "always""#)
        }
        file.finish()
        return settings
    }

    static func readGeneral(_ object: ConfigObjectReader) -> General {
        defer { object.finish() }
        let defaults = General()
        return General(
            alwaysConnected: object.bool("always_connected", default: defaults.alwaysConnected),
            connectionPeriod: object.integer("connection_period", default: defaults.connectionPeriod, in: 0...Int.max),
            wifiHasPriority: object.bool("wifi_has_priority", default: defaults.wifiHasPriority),
            powerSaving: object.bool("power_saving", default: defaults.powerSaving),
            sdcardSettingsAllowed: object.bool("sdcard_settings_allowed", default: defaults.sdcardSettingsAllowed))
    }

    static func readWifi(_ object: ConfigObjectReader) -> Wifi {
        defer { object.finish() }
        let defaults = Wifi()
        let threshold = object.optionalInteger("rssi_threshold", in: 0...255) ?? object.optionalInteger("rss_i_threshold", in: 0...255)
        let points = (object.array("access_points") ?? []).enumerated().compactMap { index, element in
            ConfigObjectReader(element, at: object.path.appending("access_points").appending(index), issues: object.issues)
                .map(readAccessPoint)
        }
        return Wifi(
            enabled: object.bool("enabled", default: defaults.enabled),
            scanPeriod: object.integer("scan_period", default: defaults.scanPeriod, in: 0...Int.max),
            rssiThreshold: threshold ?? defaults.rssiThreshold, accessPoints: points,
            adminPage: object.object("admin_page").map(readAdminPage))
    }

    static func readAccessPoint(_ object: ConfigObjectReader) -> AccessPoint {
        defer { object.finish() }
        return AccessPoint(ssid: object.string("ssid", default: ""), passkey: object.string("passkey", default: ""))
    }

    static func readAdminPage(_ object: ConfigObjectReader) -> AdminPage {
        defer { object.finish() }
        let defaults = AdminPage()
        return AdminPage(
            enabled: object.bool("enabled", default: defaults.enabled),
            timeout: object.integer("timeout", default: defaults.timeout, in: 0...Int.max),
            passkey: object.string("passkey", default: defaults.passkey),
            listen: object.optionalString(
                "listen", expected: "host:port, such as 0.0.0.0:8443", where: { AdminPage(listen: $0).listenAddress != nil })
                ?? defaults.listen)
    }

    static func readOTA(_ object: ConfigObjectReader) -> OTA {
        defer { object.finish() }
        let defaults = OTA()
        return OTA(
            enabled: object.bool("enabled", default: defaults.enabled), serverCert: object.string("server_cert", default: ""),
            chunkSize: object.integer("chunk_size", default: defaults.chunkSize, in: 1024...60_000),
            chunkIntervalMilliseconds: object.integer("chunk_interval_ms", default: defaults.chunkIntervalMilliseconds, in: 0...60_000),
            trialSeconds: object.integer("trial_seconds", default: defaults.trialSeconds, in: 30...3600),
            publicKey: object.string("public_key", default: defaults.publicKey))
    }

    static func readCellular(_ object: ConfigObjectReader) -> Cellular {
        defer { object.finish() }
        let defaults = Cellular()
        return Cellular(
            enabled: object.bool("enabled", default: defaults.enabled), apn: object.string("apn", default: defaults.apn),
            user: object.string("user", default: defaults.user), password: object.string("password", default: defaults.password))
    }

    static func readCAN(_ object: ConfigObjectReader) -> CAN {
        defer { object.finish() }
        let defaults = CAN()
        return CAN(
            enabled: object.bool("enabled", default: defaults.enabled),
            speed: object.integer("speed", default: defaults.speed, in: 1...1_000_000),
            protocol: object.choice("protocol", among: ["CAN", "can"]) ?? defaults.protocol,
            interface: object.optionalString("interface", nullable: false, expected: "a network interface name, for example \"can0\"") {
                !$0.isEmpty
            }
                ?? defaults.interface)
    }

    static func readSerial(_ object: ConfigObjectReader) -> Serial {
        defer { object.finish() }
        let defaults = Serial()
        return Serial(
            enabled: object.bool("enabled", default: defaults.enabled),
            type: object.string("type", default: defaults.type, nullable: true),
            speed: UInt32(object.integer("speed", default: Int(defaults.speed), in: 1...Int(UInt32.max))),
            protocol: object.choice("protocol", among: ["g1", "G1"]) ?? defaults.protocol,
            device: object.optionalString("device", nullable: false, expected: "a device path, for example \"/dev/ttyUSB0\"") {
                !$0.isEmpty
            }
                ?? defaults.device)
    }

    static func readMQTT(_ object: ConfigObjectReader) -> MQTT {
        defer { object.finish() }
        let defaults = MQTT()
        return MQTT(
            enabled: object.bool("enabled", default: defaults.enabled),
            uri: object.optionalString("uri", nullable: false, expected: "mqtt://host:port or mqtts://host:port") {
                $0.wholeMatches(mqttURIPattern)
            }
                ?? defaults.uri,
            cliKey: object.string("cli_key", default: defaults.cliKey), cliCert: object.string("cli_cert", default: defaults.cliCert),
            username: object.string("username", default: defaults.username),
            password: object.string("password", default: defaults.password),
            attrSendPeriod: object.integer("attr_send_period", default: defaults.attrSendPeriod, in: 1...Int.max),
            ca: object.string("ca", default: defaults.ca), accessToken: object.string("access_token", default: defaults.accessToken),
            clientID: object.string("client_id", default: defaults.clientID),
            publishRate: object.integer("publish_rate", default: defaults.publishRate, in: 0...1_000_000),
            sequenceKey: object.string("sequence_key", default: defaults.sequenceKey),
            queue: object.object("queue").map(readQueue) ?? defaults.queue,
            provision: object.object("provision").map(readProvision))
    }

    static func readQueue(_ object: ConfigObjectReader) -> MQTT.Queue {
        defer { object.finish() }
        let defaults = MQTT.Queue()
        return MQTT.Queue(
            maxBytes: object.integer("max_bytes", default: defaults.maxBytes, in: 4096...Int.max),
            maxAge: object.integer("max_age", default: defaults.maxAge, in: 60...Int.max))
    }

    static func readProvision(_ object: ConfigObjectReader) -> MQTT.Provision {
        defer { object.finish() }
        let text = "a non-empty string"
        return MQTT.Provision(
            deviceName: object.requiredString("device_name", expected: text) { !$0.isEmpty },
            key: object.requiredString("key", expected: text) { !$0.isEmpty },
            secret: object.requiredString("secret", expected: text) { !$0.isEmpty })
    }

    static func readPortal(_ object: ConfigObjectReader) -> Portal {
        defer { object.finish() }
        let range = Portal.rollbackGraceRange
        return Portal(
            rollbackGrace: object.number(
                "rollback_grace", default: Portal.defaultRollbackGrace,
                expected: "a number of seconds from \(Int(range.lowerBound)) to \(Int(range.upperBound))"
            ) { range.contains($0) })
    }

    /// The `tunnel` section; nil, with a notice, when the file has none (a vendor file).
    static func readTunnel(in file: ConfigObjectReader) -> Tunnel? {
        let placeholder = Tunnel(relay: "", cert: "", key: "", ca: "")
        guard file.has("tunnel") else {
            _ = file.value("tunnel")
            file.notice(
                "tunnel", .tunnelOff,
                "acquisition and uplink only, no link to the relay; pushed by the portal, the gateway's own tunnel section is kept")
            return nil
        }
        guard let object = file.object("tunnel", expected: "an object with relay, cert, key and ca (the agent's link to the relay)") else {
            return placeholder
        }
        defer { object.finish() }
        let problemsBefore = object.issues.problems.count
        let path = "a PEM file path"
        let tunnel = Tunnel(
            relay: object.requiredString("relay", expected: "host:port with a port from 1 to 65535") { $0.wholeMatches(relayPattern) },
            mode: object.choice("mode", among: ["always", "on_demand"]) ?? "always",
            cert: object.requiredString("cert", expected: path), key: object.requiredString("key", expected: path),
            ca: object.requiredString("ca", expected: path),
            pingInterval: Int64(object.integer("ping_interval", default: Int(placeholder.pingInterval), in: 1...86_400)),
            peerTimeout: Int64(object.integer("peer_timeout", default: Int(placeholder.peerTimeout), in: 1...86_400)),
            reconnectMax: object.number("reconnect_max", default: placeholder.reconnectMax, expected: "a number of seconds > 0") { $0 > 0 },
            liveTelemetryPeriod: object.number(
                "live_telemetry_period", default: placeholder.liveTelemetryPeriod, expected: "a number of seconds, 0 (none) or at least 1"
            ) { $0 == 0 || ($0 >= 1 && $0 <= 86_400) },
            renewBeforeDays: object.integer("renew_before_days", default: placeholder.renewBeforeDays, in: 0...36_500))
        if object.issues.problems.count == problemsBefore, tunnel.peerTimeout <= tunnel.pingInterval {
            object.problem(
                "peer_timeout", found: "\(tunnel.peerTimeout) with ping_interval \(tunnel.pingInterval)",
                expected: "more seconds than ping_interval, or a live relay is dropped between two pings")
        }
        return tunnel
    }
}
