import Foundation

extension AgentSettings {
    /// A settings file that could not be used, with the path and every problem.
    public struct LoadError: Error, CustomStringConvertible {
        /// The file.
        public let path: String
        /// Every problem, joined for one log line.
        public let reason: String
        /// Every problem, one by one.
        public let problems: [ConfigReport.Problem]

        public var description: String { "\(path): \(reason)" }
    }

    /// Reads and checks `settings.json`; relative credential paths are taken from the file's
    /// folder. Throws a `LoadError` naming every problem; notices are in `check(path:)`.
    public static func load(path: String) throws -> AgentSettings {
        let check = check(path: path)
        guard let settings = check.model else {
            let problems = check.report.problems
            throw LoadError(path: path, reason: problems.map(\.description).joined(separator: "; "), problems: problems)
        }
        return settings
    }

    /// Checks the settings file at `path`: the settings (credential paths resolved against the
    /// file's folder) when it is usable, and every problem and notice.
    public static func check(path: String) -> ConfigCheck<AgentSettings> {
        let issues = ConfigIssues()
        let settings = ConfigDocument.read(path: path, issues: issues).flatMap { read($0, issues: issues) }
        let folder = (path as NSString).deletingLastPathComponent
        return ConfigCheck(model: settings?.resolvingPaths(against: folder), report: issues.report)
    }

    /// Checks settings given as JSON text (for example a shared-attribute update); paths stay as written.
    public static func check(json: some Collection<UInt8>) -> ConfigCheck<AgentSettings> {
        let issues = ConfigIssues()
        let settings = ConfigDocument.parse(Array(json), issues: issues).flatMap { read($0, issues: issues) }
        return ConfigCheck(model: settings, report: issues.report)
    }

    /// These settings with relative certificate and key paths taken from `folder`.
    public func resolvingPaths(against folder: String) -> AgentSettings {
        func resolve(_ file: String) -> String {
            file.hasPrefix("/") || file.isEmpty || folder.isEmpty ? file : (folder as NSString).appendingPathComponent(file)
        }
        let tunnel = tunnel.map {
            Tunnel(
                relay: $0.relay, mode: $0.mode, cert: resolve($0.cert), key: resolve($0.key), ca: resolve($0.ca),
                pingInterval: $0.pingInterval, peerTimeout: $0.peerTimeout, reconnectMax: $0.reconnectMax,
                liveTelemetryPeriod: $0.liveTelemetryPeriod, renewBeforeDays: $0.renewBeforeDays)
        }
        let mqtt = mqtt.map {
            MQTT(
                enabled: $0.enabled, uri: $0.uri, cliKey: resolve($0.cliKey), cliCert: resolve($0.cliCert),
                username: $0.username, password: $0.password, attrSendPeriod: $0.attrSendPeriod, ca: resolve($0.ca),
                accessToken: $0.accessToken, clientID: $0.clientID, publishRate: $0.publishRate, sequenceKey: $0.sequenceKey,
                queue: $0.queue, provision: $0.provision)
        }
        let ota = ota.map {
            OTA(
                enabled: $0.enabled, serverCert: $0.serverCert, chunkSize: $0.chunkSize,
                chunkIntervalMilliseconds: $0.chunkIntervalMilliseconds,
                trialSeconds: $0.trialSeconds, publicKey: resolve($0.publicKey))
        }
        return AgentSettings(
            general: general, wifi: wifi, ota: ota, cellular: cellular, can: can, serial: serial, mqtt: mqtt, tunnel: tunnel, portal: portal
        )
    }

    /// These settings with `tunnel` and `portal` taken from `local`: the sections only the
    /// gateway's own file sets.
    func withLocalOnlySections(of local: AgentSettings) -> AgentSettings {
        AgentSettings(
            general: general, wifi: wifi, ota: local.ota, cellular: cellular, can: can, serial: serial, mqtt: mqtt, tunnel: local.tunnel,
            portal: local.portal)
    }
}
