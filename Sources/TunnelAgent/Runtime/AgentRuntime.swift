import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import SharedWire
import TunnelPlumbing

/// The whole agent: the relay link and the serial sessions, and with an enabled `mqtt`
/// section the acquisition, the durable queue and the uplink, as one service group with
/// graceful shutdown on SIGTERM and SIGINT. A new settings.json from the portal, or the
/// `agent.restart` RPC, stops the group and builds it again from the files, in the process.
public final class AgentRuntime: Sendable {
    private let paths: AgentPaths
    private let logger: Logger
    /// The reason a restart of the services was asked for, and the group to stop for it.
    private let restart = NIOLockedValueBox<(reason: String?, group: ServiceGroup?)>((nil, nil))

    public init(paths: AgentPaths, logger: Logger) {
        self.paths = paths
        self.logger = logger
    }

    public func run() async throws {
        try FileManager.default.createDirectory(atPath: paths.stateDirectory, withIntermediateDirectories: true)
        while true {
            let configuration = try AgentConfiguration.load(paths)
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let (services, cleanup) = try await build(configuration, group: group)
            let serviceGroup = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            restart.withLockedValue { $0 = (nil, serviceGroup) }
            logger.info("Agent started", metadata: [
                "settings": "\(configuration.settingsPath)", "params": "\(configuration.paramsPath)",
                "config.hash": "\(configuration.hash)",
            ])
            do {
                try await serviceGroup.run()
            } catch {
                await cleanup()
                try? await group.shutdownGracefully()
                throw error
            }
            await cleanup()
            try await group.shutdownGracefully()
            guard let reason = restart.withLockedValue({ $0.reason }) else { return }
            logger.notice("Agent services restarting", metadata: ["reason": "\(reason)"])
        }
    }

    /// Stops the services and builds them again from the files.
    func requestRestart(_ reason: String) {
        let group = restart.withLockedValue { state -> ServiceGroup? in
            guard state.reason == nil else { return nil }
            state.reason = reason
            return state.group
        }
        guard let group else { return }
        Task { await group.triggerGracefulShutdown() }
    }

    private func build(_ configuration: AgentConfiguration, group: MultiThreadedEventLoopGroup) async throws
        -> ([any Service], @Sendable () async -> Void)
    {
        let settings = configuration.settings
        let software = "tunnel-agent/\(AgentCommand.version)"
        let facts = AgentFacts()
        facts.update { $0.configurationHash = configuration.hash }
        let logger = self.logger
        let identity = try DeviceIdentity(
            certificatePath: settings.tunnel.cert, keyPath: settings.tunnel.key, caPath: settings.tunnel.ca,
            renewedPath: paths.renewedCredential,
            problem: { logger.warning("Renewed device certificate passed over", metadata: ["error": "\($0)"]) })
        logger.info(
            "Device certificate", metadata: [
                "file": "\(identity.credential.origin)", "not_after": "\(identity.credential.certificate.notValidAfter)",
            ])
        let dialer = TunnelDialer(
            relay: try RelayAddress(parsing: settings.tunnel.relay), tls: try identity.tlsContext(),
            keepalive: .init(interval: .seconds(settings.tunnel.pingInterval), timeout: .seconds(settings.tunnel.peerTimeout)))
        let line = SerialLine(settings: settings.serial, logger: logger)
        let sessions = AgentSessions(line: line, dialer: dialer, software: software, logger: logger)
        let demand = settings.tunnel.mode == "on_demand" ? TunnelDemand() : nil
        let live = settings.tunnel.liveTelemetryPeriod > 0 ? LiveTelemetryFeed() : nil
        let link = RelayLink(
            dialer: dialer, sessions: sessions, group: group, software: software, reconnectMax: settings.tunnel.reconnectMax,
            demand: demand, facts: facts, live: live.map { ($0, settings.tunnel.liveTelemetryPeriod) },
            renewal: CertificateRenewal(identity: identity, dialer: dialer, renewBeforeDays: settings.tunnel.renewBeforeDays, facts: facts,
                logger: logger),
            logger: logger)
        guard let mqtt = settings.mqtt, mqtt.enabled else {
            logger.notice("No enabled mqtt section: no acquisition and no telemetry uplink")
            return ([link], {})
        }
        let params = ActiveParamsConfig(configuration.params)
        let pipeline = try await TelemetryPipeline.make(
            configuration: configuration, mqtt: mqtt, paths: paths, facts: facts, params: params, demand: demand, live: live,
            sessions: { sessions.count }, restart: { [weak self] reason in self?.requestRestart(reason) }, logger: logger)
        var services = pipeline.services
        if settings.serial.enabled {
            services.append(SerialAcquisition(
                line: line, params: params, sink: pipeline.sink, facts: facts, eventLoop: group.next(), retryMax: settings.tunnel.reconnectMax,
                logger: logger))
        }
        if let can = settings.can, can.enabled {
            services.append(CANAcquisition(
                settings: can, params: params, sink: pipeline.sink, eventLoop: group.next(), retryMax: settings.tunnel.reconnectMax,
                logger: logger))
        }
        services.append(link)
        return (services, { try? await pipeline.queue.close() })
    }
}
