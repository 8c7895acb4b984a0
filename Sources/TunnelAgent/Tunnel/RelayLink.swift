import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SharedWire
import TunnelPlumbing

/// The agent's control connection to the relay, kept up for as long as the agent runs:
/// dialled at start, redialled with backoff whenever it drops.
public final class RelayLink: Service, Sendable {
    private let dialer: TunnelDialer
    private let sessions: AgentSessions
    private let group: any EventLoopGroup
    private let software: String
    private let reconnectMax: Double
    private let logger: Logger

    public init(
        dialer: TunnelDialer, sessions: AgentSessions, group: any EventLoopGroup, software: String,
        reconnectMax: Double, logger: Logger
    ) {
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
            await connectOnce(backoff: &backoff)
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            let delay = backoff.nextDelay(jitter: Double.random(in: 0...1))
            logger.info("Redialling relay", metadata: ["delay.seconds": "\(String(format: "%.1f", delay))"])
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int(delay * 1000))) }
        }
        sessions.closeAll()
    }

    private func connectOnce(backoff: inout ReconnectBackoff) async {
        let sessions = self.sessions
        let hello = TunnelMessage.Hello(role: .agentControl, software: software)
        do {
            let (channel, welcome) = try await dialer.dial(
                on: group.next(), hello: hello, makeHandler: { AgentControlHandler(sessions: sessions) }
            ).get()
            backoff.reset()
            logger.info("Connected to relay", metadata: ["relay": "\(dialer.relay)", "device.id": "\(welcome.identity)"])
            await withGracefulShutdownHandler {
                try? await channel.closeFuture.get()
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
}
