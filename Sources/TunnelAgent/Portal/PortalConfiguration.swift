import Logging

/// `settings.json` and `params_config.json` as shared attributes: the portal's way to
/// configure the device. A new file is checked in full first; a bad one is refused with every
/// problem and the running configuration stays. A good one is stored durably in the state
/// folder and applied: params_config.json at once (the acquisition picks it up), settings.json
/// by restarting the agent's services in the process.
final class PortalConfiguration: Sendable {
    /// The attribute names, as the files are named.
    static let settingsKey = "settings.json"
    static let paramsKey = "params_config.json"

    /// What an update came to, reported as the client attribute `configStatus`.
    enum Outcome: Equatable {
        case unchanged
        case applied(hash: String)
        case refused(problems: [String])
    }

    private let paths: AgentPaths
    private let current: AgentConfiguration
    private let params: ActiveParamsConfig
    private let facts: AgentFacts
    /// Restarts the services with the stored files.
    private let reload: @Sendable (_ reason: String) -> Void
    private let logger: Logger

    init(
        paths: AgentPaths, current: AgentConfiguration, params: ActiveParamsConfig, facts: AgentFacts,
        reload: @escaping @Sendable (String) -> Void, logger: Logger
    ) {
        self.paths = paths
        self.current = current
        self.params = params
        self.facts = facts
        self.reload = reload
        self.logger = logger
    }

    /// Applies the configuration files among shared attributes `attributes` (an update or the
    /// `shared` part of an attribute response); other keys are not ours and are left alone.
    func apply(_ attributes: JSONValue) -> [(file: String, outcome: Outcome)] {
        var outcomes: [(String, Outcome)] = []
        if let value = attributes[Self.paramsKey] { outcomes.append((Self.paramsKey, applyParams(Self.bytes(of: value)))) }
        if let value = attributes[Self.settingsKey] { outcomes.append((Self.settingsKey, applySettings(Self.bytes(of: value)))) }
        return outcomes
    }

    /// The file's text: a string attribute as it is, a JSON object written out.
    static func bytes(of value: JSONValue) -> [UInt8] {
        if case .string(let text) = value { return Array(text.utf8) }
        return Array(value.text.utf8)
    }

    private func applyParams(_ bytes: [UInt8]) -> Outcome {
        let check = ParamsConfig.check(json: bytes)
        guard let config = check.model else { return refuse(Self.paramsKey, check.report.problems.map(\.description)) }
        guard config != params.current.config else { return .unchanged }
        do {
            try DurableFile.write(bytes, to: paths.portalParams)
        } catch {
            return refuse(Self.paramsKey, ["could not store it: \(error)"])
        }
        params.replace(with: config)
        let hash = AgentConfiguration.hash(current.settingsText, bytes)
        facts.update {
            $0.configurationHash = hash
            $0.lastConfigurationRefusal = nil
        }
        logger.notice("New params_config.json from the portal applied", metadata: ["config.hash": "\(hash)"])
        return .applied(hash: hash)
    }

    private func applySettings(_ bytes: [UInt8]) -> Outcome {
        // Compared as text: the running settings have their paths resolved, the update's are as written.
        guard bytes != current.settingsText else { return .unchanged }
        let check = AgentSettings.check(json: bytes)
        guard check.model != nil else { return refuse(Self.settingsKey, check.report.problems.map(\.description)) }
        do {
            try DurableFile.write(bytes, to: paths.portalSettings)
        } catch {
            return refuse(Self.settingsKey, ["could not store it: \(error)"])
        }
        let hash = AgentConfiguration.hash(bytes, current.paramsText)
        logger.notice("New settings.json from the portal stored; restarting the agent's services", metadata: ["config.hash": "\(hash)"])
        reload("settings.json from the portal")
        return .applied(hash: hash)
    }

    private func refuse(_ file: String, _ problems: [String]) -> Outcome {
        logger.warning("Configuration from the portal refused", metadata: ["file": "\(file)", "problems": "\(problems.joined(separator: "; "))"])
        facts.update { $0.lastConfigurationRefusal = "\(file): " + problems.joined(separator: "; ") }
        return .refused(problems: problems)
    }

    /// The client attribute reporting `outcome` of `file`; nil when nothing changed.
    static func statusAttribute(file: String, outcome: Outcome) -> String? {
        switch outcome {
        case .unchanged:
            return nil
        case .applied(let hash):
            return "{\"configStatus\":{\"file\":\(TelemetryRecordEncoder.quoted(file)),\"accepted\":true,\"configHash\":\"\(hash)\"}}"
        case .refused(let problems):
            let list = problems.map(TelemetryRecordEncoder.quoted).joined(separator: ",")
            return "{\"configStatus\":{\"file\":\(TelemetryRecordEncoder.quoted(file)),\"accepted\":false,\"problems\":[\(list)]}}"
        }
    }
}
