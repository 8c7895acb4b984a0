/// Where the agent reads and keeps its files.
public struct AgentPaths: Sendable, Equatable {
    /// The operator's settings.json (`--config`).
    public let settings: String
    /// The operator's params_config.json (`--params`); the shipped one when absent.
    public let params: String
    /// The agent's own state (`--state-dir`): the telemetry queue, provisioned credentials, and
    /// configuration the portal sent, which wins over the operator's files while it is there.
    public let stateDirectory: String

    public init(settings: String, params: String, stateDirectory: String) {
        self.settings = settings
        self.params = params
        self.stateDirectory = stateDirectory
    }

    public var queue: String { stateDirectory + "/telemetry-queue.sqlite" }
    public var credentials: String { stateDirectory + "/mqtt-credentials.json" }
    /// The MQTT client identifier made for this gateway when settings.json names none.
    public var clientIdentifier: String { stateDirectory + "/mqtt-client-id" }
    /// settings.json as the portal last sent it.
    public var portalSettings: String { stateDirectory + "/settings.json" }
    /// The device certificate and key the agent renewed over the tunnel, in one file so they
    /// change together; used instead of `tunnel.cert`/`tunnel.key` while it is the newer.
    public var renewedCredential: String { stateDirectory + "/device-credential.pem" }
    /// params_config.json as the portal last sent it.
    public var portalParams: String { stateDirectory + "/params_config.json" }
    /// The probation of the last accepted push (`ConfigProbation`), while it lasts.
    public var probation: String { stateDirectory + "/config-probation.json" }
    /// Pushes that were rolled back (`ConfigRollback`), until reported and superseded.
    public var rollbacks: String { stateDirectory + "/config-rollbacks.json" }
    /// The folder of the operator's settings.json: relative paths in every settings file,
    /// the operator's and the portal's, are taken from here.
    public var settingsFolder: String {
        guard let slash = settings.lastIndex(of: "/") else { return "." }
        return slash == settings.startIndex ? "/" : String(settings[..<slash])
    }
}
