import AgentConfig
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import ProgramSupport
import ServiceLifecycle
import SharedWire
import TunnelTransport

/// The whole agent: the relay link and the serial sessions, and with an enabled `mqtt`
/// section the acquisition, the durable queue and the uplink, as one service group with
/// graceful shutdown on SIGTERM and SIGINT. A new settings.json from the portal, or the
/// `agent.restart` RPC, stops the group and builds it again from the files, in the process.
public final class AgentRuntime: Sendable {
    private let paths: AgentPaths
    private let logger: Logger
    /// The reason a restart of the services was asked for, and the group to stop for it.
    private let restart = NIOLockedValueBox<(reason: String?, group: ServiceGroup?)>((nil, nil))
    /// Set when a firmware update was installed: the process ends for the launcher to start it.
    private let updateInstalled = NIOLockedValueBox(false)

    /// Why `run()` returned.
    public enum Ending: Sendable, Equatable {
        /// SIGTERM or SIGINT.
        case stopped
        /// A firmware update is installed; the launcher starts it (`FirmwareLauncher`).
        case updateInstalled
    }

    /// The packaged settings a factory reset puts back (`FactoryReset`).
    private let defaults: String

    public init(paths: AgentPaths, defaults: String = FactoryReset.packagedDefaults, logger: Logger) {
        self.paths = paths
        self.defaults = defaults
        self.logger = logger
    }

    public func run() async throws -> Ending {
        // The state folder is claimed once the files are known to be usable (a bad settings
        // file is reported as such), except when a factory reset waits: that comes first.
        var lock: AgentLock?
        defer { withExtendedLifetime(lock) {} }
        let reset = FactoryReset(paths: paths, defaults: defaults)
        if reset.isPending {
            lock = try AgentLock(stateDirectory: paths.stateDirectory)
            logger.notice("A factory reset was asked for; finishing it before start")
            _ = try reset.complete(logger: logger)
        }
        while true {
            let configuration = try AgentConfiguration.load(paths)
            if lock == nil {
                try FileManager.default.createDirectory(atPath: paths.stateDirectory, withIntermediateDirectories: true)
                lock = try AgentLock(stateDirectory: paths.stateDirectory)
            }
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let (services, cleanup) = try await build(configuration, group: group)
            let serviceGroup = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            restart.withLockedValue { $0 = (nil, serviceGroup) }
            if let reason = configuration.passedOver {
                logger.warning("Stored settings.json from the portal passed over for the local file", metadata: ["problems": "\(reason)"])
            }
            logger.info(
                "Agent started",
                metadata: [
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
            if updateInstalled.withLockedValue({ $0 }) { return .updateInstalled }
            guard let reason = restart.withLockedValue({ $0.reason }) else { return .stopped }
            logger.notice("Agent services restarting", metadata: ["reason": "\(reason)"])
        }
    }

    /// Stops the services and ends `run()` for the launcher to start the installed update.
    func requestUpdateRestart() {
        updateInstalled.withLockedValue { $0 = true }
        requestRestart("firmware update installed")
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
        let facts = AgentFacts()
        facts.update { $0.configurationHash = configuration.hash }
        let line = SerialLine(settings: settings.serial, logger: logger)
        let relay = try settings.tunnel.map { try relayLink($0, line: line, facts: facts, group: group) }
        if relay == nil { logger.notice("No tunnel section: acquisition and uplink only, no link to the relay") }
        let probation = ProbationStore(paths: paths)
        let restart: @Sendable (String) -> Void = { [weak self] reason in self?.requestRestart(reason) }
        var services: [any Service] = [ProbationService(store: probation, paths: paths, facts: facts, restart: restart, logger: logger)]
        let params = ActiveParamsConfig(configuration.params)
        let adminPage = { (telemetry: LiveTelemetryFeed, queue: TelemetryQueue?) in
            self.adminPage(
                configuration, facts: facts, params: params, probation: probation, telemetry: telemetry, queue: queue,
                sessions: { relay?.sessions.count ?? 0 }, restart: restart)
        }
        guard let mqtt = settings.mqtt, mqtt.enabled else {
            logger.notice("No enabled mqtt section: no acquisition and no telemetry uplink")
            if let relay { services.append(relay.link) }
            if let page = adminPage(LiveTelemetryFeed(), nil) { services.append(page) }
            return (services, {})
        }
        let sessions = relay?.sessions
        let pipeline = try await TelemetryPipeline.make(
            configuration: configuration, mqtt: mqtt, paths: paths, facts: facts, params: params, probation: probation,
            demand: relay?.demand,
            live: relay?.live, sessions: { sessions?.count ?? 0 }, restart: restart,
            updateInstalled: { [weak self] in self?.requestUpdateRestart() }, logger: logger)
        relay?.diagnostics.use(queue: pipeline.queue)
        services += pipeline.services
        if settings.serial.enabled {
            services.append(
                SerialAcquisition(
                    line: line, params: params, sink: pipeline.sink, facts: facts, eventLoop: group.next(), retryMax: settings.reconnectMax,
                    logger: logger))
        }
        if let can = settings.can, can.enabled {
            services.append(
                CANAcquisition(
                    settings: can, params: params, sink: pipeline.sink, eventLoop: group.next(), retryMax: settings.reconnectMax,
                    logger: logger))
        }
        if let relay { services.append(relay.link) }
        if let page = adminPage(pipeline.sink.latest, pipeline.queue) { services.append(page) }
        return (services, { try? await pipeline.queue.close() })
    }

    /// The local admin page, when the settings enable it with a passkey; nil otherwise, or
    /// when it cannot be set up (the agent runs on without it, and the log says why).
    private func adminPage(
        _ configuration: AgentConfiguration, facts: AgentFacts, params: ActiveParamsConfig, probation: ProbationStore,
        telemetry: LiveTelemetryFeed, queue: TelemetryQueue?, sessions: @escaping @Sendable () -> Int,
        restart: @escaping @Sendable (String) -> Void
    ) -> AdminPageServer? {
        guard let settings = configuration.settings.wifi?.adminPage, settings.enabled else { return nil }
        guard !settings.passkey.isEmpty else {
            logger.warning("wifi.admin_page is enabled without a passkey; the admin page is not served")
            return nil
        }
        do {
            let (certificate, made) = try AdminPageCertificate.loadOrMake(
                stateDirectory: paths.stateDirectory, hostName: ProcessInfo.processInfo.hostName)
            logger.notice(
                made ? "Admin page certificate made" : "Admin page certificate",
                metadata: ["listen": "\(settings.listen)", "sha256": "\(certificate.fingerprint)"])
            let portal = PortalConfiguration(
                paths: paths, current: configuration, params: params, facts: facts, probation: probation, reload: restart,
                logger: logger)
            return try AdminPageServer(
                settings: settings, certificate: certificate,
                sources: .init(
                    configuration: configuration, facts: facts, editor: AdminPageEditor(configuration: configuration, portal: portal),
                    telemetry: telemetry, queue: queue, sessions: sessions),
                logger: logger)
        } catch {
            logger.error("The admin page cannot be served", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// The relay link of `tunnel`, with the sessions it serves and what drives it.
    private func relayLink(_ tunnel: AgentSettings.Tunnel, line: SerialLine, facts: AgentFacts, group: MultiThreadedEventLoopGroup) throws
        -> (link: RelayLink, sessions: AgentSessions, demand: TunnelDemand?, live: LiveTelemetryFeed?, diagnostics: RemoteDiagnostics)
    {
        let software = ProductVersion.software("tunnel-agent")
        let logger = self.logger
        let identity = try DeviceIdentity(
            certificatePath: tunnel.cert, keyPath: tunnel.key, caPath: tunnel.ca, renewedPath: paths.renewedCredential,
            problem: { logger.warning("Renewed device certificate passed over", metadata: ["error": "\($0)"]) })
        logger.info(
            "Device certificate",
            metadata: [
                "file": "\(identity.credential.origin)", "not_after": "\(identity.credential.certificate.notValidAfter)",
            ])
        let dialer = TunnelDialer(
            relay: try RelayAddress(parsing: tunnel.relay), tls: try identity.tlsContext(),
            keepalive: .init(interval: .seconds(tunnel.pingInterval), timeout: .seconds(tunnel.peerTimeout)))
        let sessions = AgentSessions(line: line, dialer: dialer, software: software, logger: logger)
        let demand = tunnel.mode == "on_demand" ? TunnelDemand() : nil
        let live = tunnel.liveTelemetryPeriod > 0 ? LiveTelemetryFeed() : nil
        let diagnostics = RemoteDiagnostics(paths: paths, facts: facts, sessions: { sessions.count }, logger: logger)
        let link = RelayLink(
            dialer: dialer, sessions: sessions, group: group, software: software, reconnectMax: tunnel.reconnectMax,
            demand: demand, facts: facts, live: live.map { ($0, tunnel.liveTelemetryPeriod) },
            renewal: CertificateRenewal(
                identity: identity, dialer: dialer, renewBeforeDays: tunnel.renewBeforeDays, facts: facts,
                logger: logger),
            diagnostics: diagnostics, logger: logger)
        return (link, sessions, demand, live, diagnostics)
    }
}
