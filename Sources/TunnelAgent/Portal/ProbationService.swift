import Foundation
import Logging
import ServiceLifecycle

/// The plumbing of `ConfigProbation`: once a second, feeds it what the agent's facts say
/// (broker connected, the BMS's last sentence) and the time, and carries out its decision. A
/// rollback puts the previous portal files back (or none, so the operator's rule), records
/// the rollback for the portal, and restarts the services.
final class ProbationService: Service, Sendable {
    private let store: ProbationStore
    private let paths: AgentPaths
    private let facts: AgentFacts
    private let restart: @Sendable (String) -> Void
    private let logger: Logger
    /// When these services started: a settings.json accepted later is judged by the services
    /// built from it after the restart, not by these, whose broker and BMS it does not use.
    private let startedAt = Date().timeIntervalSince1970

    init(store: ProbationStore, paths: AgentPaths, facts: AgentFacts, restart: @escaping @Sendable (String) -> Void, logger: Logger) {
        self.store = store
        self.paths = paths
        self.facts = facts
        self.restart = restart
        self.logger = logger
    }

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try check(now: Date().timeIntervalSince1970)
            } catch {
                logger.error("Configuration probation could not be kept", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }

    /// One look at the probation at `now`.
    func check(now: Double) throws {
        let facts = facts.snapshot
        let outcome = try store.withProbation { probation -> (ConfigProbation, ConfigProbation.Decision)? in
            guard var running = probation else { return nil }
            if running.file == PortalConfiguration.settingsKey, running.acceptedAt >= startedAt { return nil }
            var decision = ConfigProbation.Decision.waiting
            if facts.brokerConnected { decision = running.handle(.brokerConnected, now: now) }
            if decision == .waiting, let at = facts.lastBMSSentence {
                decision = running.handle(.bmsAnswered(at: at.timeIntervalSince1970), now: now)
            }
            if decision == .waiting { decision = running.handle(.tick, now: now) }
            probation = decision == .waiting ? running : nil
            return (running, decision)
        }
        guard let outcome else { return }
        let (probation, decision) = outcome
        switch decision {
        case .waiting:
            break
        case .proven:
            logger.notice("Configuration from the portal proven; it is the last known good", metadata: ["file": "\(probation.file)"])
        case .rollBack(let reason):
            try rollBack(probation, reason: reason)
        }
    }

    private func rollBack(_ probation: ConfigProbation, reason: String) throws {
        try Self.restore(probation.previousSettings, at: paths.portalSettings)
        try Self.restore(probation.previousParams, at: paths.portalParams)
        try store.withRollbacks { rollbacks in
            rollbacks.removeAll { earlier in earlier.file == probation.file }
            rollbacks.append(ConfigRollback(file: probation.file, hash: probation.pushedHash, reason: reason))
        }
        logger.error("Configuration from the portal rolled back", metadata: ["file": "\(probation.file)", "reason": "\(reason)"])
        restart("rollback of a configuration from the portal")
    }

    /// Puts `text` back at `path`, or removes the file when there was none.
    private static func restore(_ text: String?, at path: String) throws {
        if let text {
            try DurableFile.write(Array(text.utf8), to: path)
        } else if FileManager.default.fileExists(atPath: path) {
            try FileManager.default.removeItem(atPath: path)
        }
    }
}
