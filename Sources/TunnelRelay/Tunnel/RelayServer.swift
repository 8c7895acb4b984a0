import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import SharedWire
import TunnelPlumbing

/// The relay's tunnel port: one TLS listener for agents and clients, running until shutdown.
public final class RelayServer: Service, Sendable {
    public let configuration: RelayConfiguration
    public let agents = AgentDirectory()
    public let broker: SessionBroker
    private let store: any RelayStore
    private let tls: NIOSSLContext
    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    private let bound: EventLoopPromise<SocketAddress>

    /// Builds a relay from its configuration, store and TLS material (see `RelayCredentials`).
    public init(configuration: RelayConfiguration, store: any RelayStore, logger: Logger = Logger(label: "tunnel-relay")) throws {
        let credentials = RelayCredentials(dataDirectory: configuration.dataDirectory)
        let tlsConfiguration = TLSPolicy.server(
            chain: try PEMFiles.certificates(at: credentials.serverCertificatePath),
            key: try PEMFiles.privateKey(at: credentials.serverKeyPath),
            clientCA: try PEMFiles.certificates(at: credentials.deviceCAPath))
        self.configuration = configuration
        self.store = store
        self.tls = try NIOSSLContext(configuration: tlsConfiguration)
        self.group = MultiThreadedEventLoopGroup(
            numberOfThreads: configuration.threads > 0 ? configuration.threads : System.coreCount)
        self.logger = logger
        self.broker = SessionBroker(
            agents: agents, store: store, setupTimeout: configuration.sessionSetupTimeout,
            captureDirectory: configuration.captureSessions ? configuration.captureDirectory : nil, logger: logger)
        self.bound = group.any().makePromise(of: SocketAddress.self)
    }

    /// The address the listener is bound to, once it is.
    public var boundAddress: SocketAddress {
        get async throws { try await bound.futureResult.get() }
    }

    public func run() async throws {
        let context = RelayContext(
            configuration: configuration, store: store, agents: agents, broker: broker, logger: logger)
        let tls = self.tls
        let keepalive = KeepaliveHandler.Configuration(
            interval: configuration.pingInterval, timeout: configuration.peerTimeout)
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.backlog, value: 1024)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(NIOSSLServerHandler(context: tls))
                        try sync.addTunnelCodec(keepalive: keepalive)
                        try sync.addHandler(RelayConnectionHandler(relay: context))
                    }
                }
                .bind(host: configuration.listenHost, port: configuration.listenPort)
                .get()
        } catch {
            bound.fail(error)
            try? await group.shutdownGracefully()
            throw error
        }
        bound.succeed(channel.localAddress!)
        logger.info("Relay listening", metadata: ["address": "\(channel.localAddress!)"])
        await withGracefulShutdownHandler {
            try? await channel.closeFuture.get()
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
        logger.info("Relay stopping")
        broker.closeAll(code: .relayShutdown, message: "the relay is shutting down")
        for agent in agents.all {
            agent.channel.closeWithGoingAway(.relayShutdown, "the relay is shutting down")
        }
        try? await Task.sleep(for: .milliseconds(100))
        try? await group.shutdownGracefully()
    }
}
