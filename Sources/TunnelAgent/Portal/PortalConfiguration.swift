import AgentConfig
import Foundation
import Logging

/// `settings.json` and `params_config.json` as shared attributes: the portal's way to
/// configure the device, within what the portal is trusted with. A new file is checked in full
/// first, a settings.json also against the gateway's own (`PortalSettingsRule`); a refused one
/// is reported with every problem and the running configuration stays. A good one is stored
/// durably in the state folder, put on probation (`ConfigProbation`) and applied:
/// params_config.json at once (the acquisition picks it up), settings.json by restarting the
/// agent's services in the process. A file the portal withdraws (`deleted`) gives the
/// operator's file back.
final class PortalConfiguration: Sendable {
    /// The attribute names, as the files are named.
    static let settingsKey = "settings.json"
    static let paramsKey = "params_config.json"

    /// What an update came to, reported as the client attribute `configStatus`.
    enum Outcome: Equatable {
        case unchanged
        case applied(hash: String)
        case refused(problems: [String])
        /// The portal withdrew its file; the operator's is in effect.
        case withdrawn(hash: String)
    }

    private let paths: AgentPaths
    private let current: AgentConfiguration
    private let params: ActiveParamsConfig
    private let facts: AgentFacts
    private let probation: ProbationStore
    /// Restarts the services with the stored files.
    private let reload: @Sendable (_ reason: String) -> Void
    private let logger: Logger

    init(
        paths: AgentPaths, current: AgentConfiguration, params: ActiveParamsConfig, facts: AgentFacts, probation: ProbationStore,
        reload: @escaping @Sendable (String) -> Void, logger: Logger
    ) {
        self.paths = paths
        self.current = current
        self.params = params
        self.facts = facts
        self.probation = probation
        self.reload = reload
        self.logger = logger
    }

    /// Applies the configuration files among shared attributes `attributes` (an update, with
    /// its `deleted` list, or the `shared` part of an attribute response, where a file left
    /// out is one the portal no longer has); other keys are not ours and are left alone.
    /// Returns each file's outcome, and the restart of the services a new or withdrawn
    /// settings.json needs: the caller runs it after reporting the outcomes, which would
    /// otherwise race the uplink's own shutdown.
    func apply(_ attributes: JSONValue, isResponse: Bool = false)
        -> (outcomes: [(file: String, outcome: Outcome)], afterwards: (@Sendable () -> Void)?)
    {
        var outcomes: [(String, Outcome)] = []
        var restart: String?
        let deleted = Set(attributes["deleted"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        for file in [Self.paramsKey, Self.settingsKey] {
            if let value = attributes[file] {
                let bytes = Self.bytes(of: value)
                outcomes.append((file, file == Self.paramsKey ? applyParams(bytes) : applySettings(bytes, restart: &restart)))
            } else if deleted.contains(file) || isResponse {
                outcomes.append((file, withdraw(file, restart: &restart)))
            }
        }
        guard let restart else { return (outcomes, nil) }
        return (outcomes, { [reload] in reload(restart) })
    }

    /// The file's text: a string attribute as it is, a JSON object written out.
    static func bytes(of value: JSONValue) -> [UInt8] {
        if case .string(let text) = value { return Array(text.utf8) }
        return Array(value.text.utf8)
    }

    private func applyParams(_ bytes: [UInt8]) -> Outcome {
        if let refusal = rolledBack(Self.paramsKey, bytes) { return refuse(Self.paramsKey, [refusal]) }
        let check = ParamsConfig.check(json: bytes)
        guard let config = check.model else { return refuse(Self.paramsKey, check.report.problems.map(\.description)) }
        guard config != params.current.config else { return .unchanged }
        do {
            try beginProbation(Self.paramsKey, bytes)
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

    private func applySettings(_ bytes: [UInt8], restart: inout String?) -> Outcome {
        // Compared as text: the running settings have their paths resolved, the update's are as written.
        guard bytes != current.settingsText else { return .unchanged }
        if let refusal = rolledBack(Self.settingsKey, bytes) { return refuse(Self.settingsKey, [refusal]) }
        if case .failure(let problems) = AgentConfiguration.portalSettings(
            bytes, local: current.localSettings, folder: paths.settingsFolder)
        {
            return refuse(Self.settingsKey, problems.lines)
        }
        do {
            try beginProbation(Self.settingsKey, bytes)
            try DurableFile.write(bytes, to: paths.portalSettings)
        } catch {
            return refuse(Self.settingsKey, ["could not store it: \(error)"])
        }
        let hash = AgentConfiguration.hash(bytes, current.paramsText)
        logger.notice("New settings.json from the portal stored; restarting the agent's services", metadata: ["config.hash": "\(hash)"])
        restart = "settings.json from the portal"
        return .applied(hash: hash)
    }

    /// Gives the operator's file back when the portal withdrew its own.
    private func withdraw(_ file: String, restart: inout String?) -> Outcome {
        let path = file == Self.paramsKey ? paths.portalParams : paths.portalSettings
        guard FileManager.default.fileExists(atPath: path) else { return .unchanged }
        do {
            try FileManager.default.removeItem(atPath: path)
            try probation.withProbation { running in if running?.file == file { running = nil } }
            try probation.withRollbacks { rollbacks in rollbacks.removeAll { $0.file == file } }
        } catch {
            return refuse(file, ["could not withdraw it: \(error)"])
        }
        if file == Self.settingsKey {
            logger.notice("settings.json withdrawn by the portal; restarting the agent's services with the local file")
            restart = "settings.json withdrawn by the portal"
            return .withdrawn(
                hash: AgentConfiguration.hash(Array(FileManager.default.contents(atPath: paths.settings) ?? Data()), current.paramsText))
        }
        let paramsPath = AgentConfiguration.paramsPath(paths)
        guard let local = try? ParamsConfig.load(path: paramsPath) else {
            logger.error(
                "params_config.json withdrawn by the portal, and the local file is unusable; restarting",
                metadata: ["path": "\(paramsPath)"])
            restart = "params_config.json withdrawn by the portal"
            return .withdrawn(hash: "")
        }
        params.replace(with: local)
        let hash = AgentConfiguration.hash(current.settingsText, Array(FileManager.default.contents(atPath: paramsPath) ?? Data()))
        facts.update { $0.configurationHash = hash }
        logger.notice("params_config.json withdrawn by the portal; the local file applied", metadata: ["path": "\(paramsPath)"])
        return .withdrawn(hash: hash)
    }

    /// Why `bytes` is refused at once: the same file was rolled back before. A different file ends that record.
    private func rolledBack(_ file: String, _ bytes: [UInt8]) -> String? {
        let hash = AgentConfiguration.hash(of: bytes)
        return try? probation.withRollbacks { rollbacks -> String? in
            guard let earlier = rollbacks.first(where: { $0.file == file }) else { return nil }
            guard earlier.hash == hash else {
                rollbacks.removeAll { $0.file == file }
                return nil
            }
            return "this \(file) was rolled back earlier (\(earlier.reason)); send a corrected one"
        }
    }

    /// Puts the push of `file` on probation, remembering the portal files in effect before it.
    private func beginProbation(_ file: String, _ bytes: [UInt8]) throws {
        let now = Date().timeIntervalSince1970
        let settings = FileManager.default.contents(atPath: paths.portalSettings).map { String(decoding: $0, as: UTF8.self) }
        let params = FileManager.default.contents(atPath: paths.portalParams).map { String(decoding: $0, as: UTF8.self) }
        let lastBMSSentence = facts.snapshot.lastBMSSentence?.timeIntervalSince1970
        let grace = current.localSettings.rollbackGrace
        try probation.withProbation { running in
            running = ConfigProbation.begin(
                file: file, hash: AgentConfiguration.hash(of: bytes), now: now, grace: grace, lastBMSSentence: lastBMSSentence,
                previousSettings: settings, previousParams: params, replacing: running)
        }
    }

    private func refuse(_ file: String, _ problems: [String]) -> Outcome {
        logger.warning(
            "Configuration from the portal refused", metadata: ["file": "\(file)", "problems": "\(problems.joined(separator: "; "))"])
        facts.update { $0.lastConfigurationRefusal = "\(file): " + problems.joined(separator: "; ") }
        return .refused(problems: problems)
    }

    /// Rollbacks the portal was not told of yet, as `configStatus` attributes; marked told.
    func unreportedRollbacks() -> [String] {
        (try? probation.withRollbacks { rollbacks -> [String] in
            var statuses: [String] = []
            for index in rollbacks.indices where !rollbacks[index].reported {
                let rollback = rollbacks[index]
                var status = ConfigStatusAttribute.Status(file: rollback.file, accepted: false)
                status.rolledBack = true
                status.reason = rollback.reason
                status.configHash = facts.snapshot.configurationHash
                statuses.append(UplinkJSON.text(ConfigStatusAttribute(configStatus: status)))
                rollbacks[index].reported = true
            }
            return statuses
        }) ?? []
    }

    /// The client attribute reporting `outcome` of `file`; nil when nothing changed.
    static func statusAttribute(file: String, outcome: Outcome) -> String? {
        var status: ConfigStatusAttribute.Status
        switch outcome {
        case .unchanged:
            return nil
        case .applied(let hash):
            status = .init(file: file, accepted: true)
            status.configHash = hash
        case .withdrawn(let hash):
            status = .init(file: file, accepted: true)
            status.withdrawn = true
            status.configHash = hash
        case .refused(let problems):
            status = .init(file: file, accepted: false)
            status.problems = problems
        }
        return UplinkJSON.text(ConfigStatusAttribute(configStatus: status))
    }
}
