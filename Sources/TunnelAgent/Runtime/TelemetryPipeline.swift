import AgentConfig
import Foundation
import Logging
import ServiceLifecycle

/// The telemetry path from decoded sentences to the broker: the sink acquisition writes to,
/// the durable queue, the writer that commits batches to it, and the MQTT uplink (with the
/// RPC methods and the portal's configuration it serves).
public struct TelemetryPipeline: Sendable {
    /// Where acquisition leaves records.
    public let sink: TelemetrySink
    /// The durable queue.
    public let queue: TelemetryQueue
    /// The queue writer and the uplink, to run in the agent's service group.
    public let services: [any Service]

    /// The pipeline for `configuration`'s enabled `mqtt` section.
    /// - Parameters:
    ///   - sessions: the number of Control Panel sessions running, for `agent.status`.
    ///   - restart: restarts the agent's services (a new settings.json, `agent.restart`).
    ///   - updateInstalled: ends the agent for the launcher to start a firmware update.
    public static func make(
        configuration: AgentConfiguration, mqtt: AgentSettings.MQTT, paths: AgentPaths, facts: AgentFacts, params: ActiveParamsConfig,
        probation: ProbationStore? = nil, demand: TunnelDemand?, live: LiveTelemetryFeed? = nil, sessions: @escaping @Sendable () -> Int,
        restart: @escaping @Sendable (String) -> Void, updateInstalled: @escaping @Sendable () -> Void = {}, logger: Logger
    ) async throws -> TelemetryPipeline {
        guard let broker = BrokerAddress(uri: mqtt.uri) else { throw ValidationFailure("mqtt.uri \(mqtt.uri) is not mqtt://host:port") }
        let queue = try await TelemetryQueue.open(
            path: paths.queue, limits: .init(maxBytes: mqtt.queue.maxBytes, maxAge: mqtt.queue.maxAge), logger: logger)
        let sink = TelemetrySink(live: live)
        let committed = WakeSignal()
        let rpc = AgentRPC(
            facts: facts, demand: demand, sessions: sessions,
            queueStatus: { (await queue.count, await queue.bytes, await queue.dropped) }, configuration: configuration, restart: restart)
        let portal = PortalConfiguration(
            paths: paths, current: configuration, params: params, facts: facts, probation: probation ?? ProbationStore(paths: paths),
            reload: restart, logger: logger)
        let firmware = FirmwareUpdater(
            settings: configuration.settings.ota, stateDirectory: paths.stateDirectory, runningSlot: FirmwareLauncher.runningSlot,
            installed: updateInstalled, logger: logger)
        if let ota = configuration.settings.ota, ota.enabled {
            if ota.publicKey.isEmpty {
                logger.warning(
                    "Updates over the air take any image whose checksum matches: whoever can assign firmware in the portal can run code here; set ota.public_key"
                )
            } else {
                do {
                    _ = try FirmwareImageCheck.publicKey(ota.publicKey)
                } catch {
                    logger.error("Updates over the air will fail", metadata: ["reason": "\(error)"])
                }
            }
        }
        let uplink = MQTTUplink(
            settings: mqtt, broker: broker,
            clientID: try MQTTClientIdentifier.resolve(
                configured: mqtt.clientID, hostName: ProcessInfo.processInfo.hostName, path: paths.clientIdentifier),
            credentialsPath: paths.credentials, queue: queue, committed: committed, facts: facts, rpc: rpc, portal: portal,
            firmware: firmware, logger: logger)
        return TelemetryPipeline(
            sink: sink, queue: queue, services: [QueueWriter(sink: sink, queue: queue, committed: committed, logger: logger), uplink])
    }
}

/// A configuration value the checks let through but the agent cannot use.
struct ValidationFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
