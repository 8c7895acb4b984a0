import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SharedWire
import TunnelTransport

/// The agent's control connection to the relay: kept up for as long as the agent runs
/// (dialled at start, redialled with backoff whenever it drops), or, on demand, only while
/// `TunnelDemand` wants it (opened and closed by MQTT RPC).
public final class RelayLink: Service, Sendable {
    private let dialer: TunnelDialer
    private let sessions: AgentSessions
    private let group: any EventLoopGroup
    private let software: String
    private let reconnectMax: Double
    private let demand: TunnelDemand?
    private let facts: AgentFacts?
    /// The live-telemetry feed and its period in seconds, when the relay gets a live view.
    private let live: (feed: LiveTelemetryFeed, period: Double)?
    /// Renews the device certificate over each control connection, when the agent may.
    private let renewal: CertificateRenewal?
    /// Makes the diagnostic bundles the relay asks for.
    private let diagnostics: RemoteDiagnostics?
    private let logger: Logger

    /// `demand` nil keeps the link up always; given, the link is up only while it is wanted.
    public init(
        dialer: TunnelDialer, sessions: AgentSessions, group: any EventLoopGroup, software: String,
        reconnectMax: Double, demand: TunnelDemand? = nil, facts: AgentFacts? = nil,
        live: (feed: LiveTelemetryFeed, period: Double)? = nil, renewal: CertificateRenewal? = nil,
        diagnostics: RemoteDiagnostics? = nil, logger: Logger
    ) {
        self.diagnostics = diagnostics
        self.live = live
        self.renewal = renewal
        self.demand = demand
        self.facts = facts
        self.dialer = dialer
        self.sessions = sessions
        self.group = group
        self.software = software
        self.reconnectMax = reconnectMax
        self.logger = logger
    }

    public func run() async throws {
        var backoff = ReconnectBackoff(initial: 0.5, maximum: reconnectMax)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if let demand, !demand.isWanted() {
                await cancelWhenGracefulShutdown { await demand.changed() }
                continue
            }
            await connectOnce(backoff: &backoff)
            if let demand, !demand.isWanted() { continue }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            let delay = backoff.nextDelay(jitter: Double.random(in: 0...1))
            logger.info("Redialling relay", metadata: ["delay.seconds": "\(String(format: "%.1f", delay))"])
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int(delay * 1000))) }
        }
        sessions.closeAll()
    }

    private func connectOnce(backoff: inout ReconnectBackoff) async {
        let sessions = self.sessions
        let diagnostics = self.diagnostics
        let hello = TunnelMessage.Hello(role: .agentControl, software: software)
        let (renewalEvents, renewalInbox) = AsyncStream.makeStream(of: CertificateRenewal.Event.self)
        defer { renewalInbox.finish() }
        let deliver: (@Sendable (CertificateRenewal.Event) -> Void)? =
            if renewal == nil { nil } else { { @Sendable event in _ = renewalInbox.yield(event) } }
        do {
            let (channel, welcome) = try await dialer.dial(
                on: group.next(), hello: hello,
                makeHandler: {
                    AgentControlHandler(sessions: sessions, renewal: deliver, diagnostics: diagnostics)
                }
            ).get()
            backoff.reset()
            logger.info("Connected to relay", metadata: ["relay": "\(dialer.relay)", "device.id": "\(welcome.identity)"])
            facts?.update { $0.relayConnected = true }
            defer { facts?.update { $0.relayConnected = false } }
            await withGracefulShutdownHandler {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { try? await channel.closeFuture.get() }
                    if let demand = self.demand {
                        group.addTask { await Self.closeWhenUnwanted(channel, demand: demand) }
                    }
                    if let live = self.live {
                        group.addTask { [facts] in
                            await Self.sendLiveTelemetry(channel, feed: live.feed, period: live.period, facts: facts)
                        }
                    }
                    if let renewal = self.renewal {
                        group.addTask { await renewal.serve(channel, events: renewalEvents, continuation: renewalInbox) }
                    }
                    await group.next()
                    group.cancelAll()
                }
            } onGracefulShutdown: {
                channel.closeWithGoingAway(.agentShutdown, "the agent is shutting down")
            }
            if Task.isShuttingDownGracefully {
                logger.info("Relay connection closed for shutdown", metadata: ["relay": "\(dialer.relay)"])
            } else {
                logger.warning("Relay connection closed", metadata: ["relay": "\(dialer.relay)"])
            }
        } catch {
            logger.warning("Relay connection failed", metadata: ["relay": "\(dialer.relay)", "error": "\(error)"])
        }
    }

    /// Closes `channel` once `demand` no longer wants the tunnel (closed, or its time is up).
    private static func closeWhenUnwanted(_ channel: any Channel, demand: TunnelDemand) async {
        while !Task.isCancelled {
            guard let until = demand.wantedUntil, until > Date() else {
                channel.closeWithGoingAway(.agentShutdown, "the on-demand tunnel was closed")
                return
            }
            let wait = min(until.timeIntervalSinceNow, 60)
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await demand.changed() }
                group.addTask { try? await Task.sleep(for: .milliseconds(Int(max(wait, 0.01) * 1000))) }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Every `period` seconds, the latest record of each kind, while the connection is up; and
    /// the BMS's firmware version once it is known, again whenever it changes (the relay
    /// keeps it for its fleet view).
    private static func sendLiveTelemetry(_ channel: any Channel, feed: LiveTelemetryFeed, period: Double, facts: AgentFacts?) async {
        _ = feed.take()  // what piled up while disconnected is stale
        var firmwareSent: String?
        while !Task.isCancelled, channel.isActive {
            try? await Task.sleep(for: .milliseconds(Int(period * 1000)))
            var messages = feed.take()
            if let firmware = facts?.snapshot.bmsFirmware, firmware != firmwareSent {
                messages.append(LiveTelemetryFeed.firmwareRecord(firmware))
                firmwareSent = firmware
            }
            guard !messages.isEmpty, channel.isActive else { continue }
            for message in messages { channel.write(message, promise: nil) }
            channel.flush()
        }
    }
}
