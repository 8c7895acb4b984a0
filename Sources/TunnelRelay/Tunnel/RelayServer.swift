import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import SharedWire
import TunnelPKI
import TunnelTransport

/// The relay's tunnel port: one TLS listener for agents and clients, running until shutdown.
public final class RelayServer: Service, Sendable {
    public let configuration: RelayConfiguration
    public let agents = AgentDirectory()
    public let broker: SessionBroker
    /// The relay's metrics, served by the admin API.
    public let metrics = RelayMetrics()
    /// The devices' latest telemetry, as their agents report it.
    public let telemetry = LiveTelemetry()
    /// Store writes that follow connection events; drained at shutdown.
    public let writes: StoreWrites
    /// Diagnostic bundles asked of the agents connected here.
    public let diagnostics: DiagnosticsDesk
    private let store: any RelayStore
    /// The TLS context new connections get; `reloadCredentials()` swaps it.
    private let tls: NIOLockedValueBox<NIOSSLContext>
    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    private let bound: EventLoopPromise<SocketAddress>
    private let limiter: NIOLockedValueBox<SourceLimiter>
    private let renewer: CertificateRenewer
    /// The node listener's TLS and the links to the other nodes, with `--node-listen`.
    private let nodeTLS: NodeTLS?
    private let nodes: NodeLinks?

    /// Builds a relay from its configuration, store and TLS material (see `RelayCredentials`).
    public init(configuration: RelayConfiguration, store: any RelayStore, logger: Logger = Logger(label: "tunnel-relay")) throws {
        let credentials = RelayCredentials(dataDirectory: configuration.dataDirectory)
        let context = try Self.tlsContext(credentials)
        self.configuration = configuration
        self.store = store
        self.tls = NIOLockedValueBox(context)
        self.group = MultiThreadedEventLoopGroup(
            numberOfThreads: configuration.threads > 0 ? configuration.threads : System.coreCount)
        self.logger = logger
        self.writes = StoreWrites(logger: logger)
        let nodeTLS = try configuration.nodeListen.map { _ in try NodeTLS(credentials: credentials, nodeName: configuration.nodeName) }
        self.nodeTLS = nodeTLS
        let metrics = self.metrics
        let nodes = nodeTLS.map {
            NodeLinks(
                nodeName: configuration.nodeName, tls: $0, store: store, metrics: metrics,
                keepalive: .init(interval: configuration.pingInterval, timeout: configuration.peerTimeout), logger: logger)
        }
        self.nodes = nodes
        self.broker = SessionBroker(
            agents: agents, store: store, writes: writes, setupTimeout: configuration.sessionSetupTimeout,
            captureDirectory: configuration.captureSessions ? configuration.captureDirectory : nil, metrics: metrics,
            steering: AcceptSteering(group: group), nodes: nodes, logger: logger)
        self.bound = group.any().makePromise(of: SocketAddress.self)
        self.limiter = NIOLockedValueBox(SourceLimiter(configuration: configuration.sourceLimits))
        self.renewer = CertificateRenewer(credentials: credentials, store: store)
        self.diagnostics = DiagnosticsDesk(agents: agents, store: store, writes: writes, logger: logger)
    }

    /// The TLS context of the certificate files in the data directory.
    private static func tlsContext(_ credentials: RelayCredentials) throws -> NIOSSLContext {
        try NIOSSLContext(
            configuration: TLSPolicy.server(
                chain: try PEMFiles.certificates(at: credentials.serverCertificatePath),
                key: try PEMFiles.privateKey(at: credentials.serverKeyPath),
                clientCA: try PEMFiles.certificates(at: credentials.deviceCAPath)))
    }

    /// Reads the server certificate, its key and the device CA again: connections from now on
    /// use them; connections already up keep theirs. A file that does not load leaves the
    /// current context in place and throws why.
    public func reloadCredentials() throws {
        let context = try Self.tlsContext(RelayCredentials(dataDirectory: configuration.dataDirectory))
        tls.withLockedValue { $0 = context }
        logger.notice("TLS credentials reloaded", metadata: ["directory": "\(configuration.dataDirectory)/tls"])
    }

    /// Ends a device's sessions and its control connection at once (revoked, reset).
    public func disconnect(deviceID: String, reason: String) {
        broker.closeSessions(deviceID: deviceID, code: .deviceRevoked, message: reason)
        agents.entry(deviceID: deviceID)?.channel.closeWithGoingAway(.deviceRevoked, reason)
    }

    /// The live telemetry of `device` from the node holding its agent, when that is another
    /// live node of the cluster; nil otherwise (this node's own `telemetry` is the answer).
    func telemetryElsewhere(_ device: DeviceRecord) async throws -> NodeTelemetryFeed? {
        guard let nodes, agents.entry(deviceID: device.id) == nil else { return nil }
        return try await nodes.telemetry(of: device, on: group.any())
    }

    /// Watches a session whose client another live node of the cluster holds; nil when no other
    /// node does (or this node is not in a cluster).
    func watchElsewhere(_ session: SessionRecord, by user: String) async throws -> NodeWatchFeed? {
        guard let nodes, broker.tap(sessionID: session.id) == nil else { return nil }
        return try await nodes.watch(session, by: user, on: group.any())
    }

    /// A session's capture file from the node that recorded it, when that is another live node
    /// of the cluster; nil otherwise.
    func captureElsewhere(_ session: SessionRecord) async throws -> AsyncThrowingStream<ByteBuffer, any Error>? {
        guard let nodes else { return nil }
        return try await nodes.capture(of: session, on: group.any())
    }

    /// Whether a session's capture may be on another node: it was claimed there, in a cluster.
    func mayHaveCaptureElsewhere(_ session: SessionRecord) -> Bool {
        nodes != nil && session.clientNode != nil && session.clientNode != configuration.nodeName
    }

    /// Whether a session can be watched through another node: it runs, and its client is on a
    /// node other than this one, in a cluster.
    func mayWatchElsewhere(_ session: SessionRecord) -> Bool {
        nodes != nil && session.claimedAt != nil && session.ending == nil && session.clientNode != nil
            && session.clientNode != configuration.nodeName
    }

    /// Asks a connected agent to renew its certificate now; false when it is not connected here.
    public func requestCertificateRenewal(deviceID: String, reason: String) -> Bool {
        guard let channel = agents.entry(deviceID: deviceID)?.channel else { return false }
        channel.writeAndFlush(TunnelMessage.renewRequested(reason), promise: nil)
        return true
    }

    /// The address the listener is bound to, once it is.
    public var boundAddress: SocketAddress {
        get async throws { try await bound.futureResult.get() }
    }

    public func run() async throws {
        let context = RelayContext(
            configuration: configuration, store: store, writes: writes, agents: agents, broker: broker, limiter: limiter, metrics: metrics,
            telemetry: telemetry, renewer: renewer, diagnostics: diagnostics, nodes: nodes, logger: logger)
        let limiter = self.limiter
        let logger = self.logger
        let tls = self.tls
        let proxyProtocol = configuration.proxyProtocol
        let expectsHeader = proxyProtocol.listeners.contains(.tunnel)
        let (headerTimeout, refusals) = (configuration.handshakeTimeout, metrics.proxyHeaderRefusalsTunnel)
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
                        if expectsHeader {
                            try sync.addHandler(
                                ProxyHeaderHandler(
                                    listener: "tunnel", configuration: proxyProtocol, timeout: headerTimeout, refusals: refusals,
                                    logger: logger))
                        }
                        try sync.addHandler(SourceGate(limiter: limiter, logger: logger))
                        try sync.addHandler(NIOSSLServerHandler(context: tls.withLockedValue { $0 }))
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
        let nodeChannel: (any Channel)?
        do {
            nodeChannel = try await bindNodeListener(context: context, keepalive: keepalive)
        } catch {
            bound.fail(error)
            try? await channel.close()
            try? await group.shutdownGracefully()
            throw error
        }
        bound.succeed(channel.localAddress!)
        logger.info("Relay listening", metadata: ["address": "\(channel.localAddress!)"])
        let watch = RevocationWatch(
            store: store, agents: agents, broker: broker, diagnostics: diagnostics,
            interval: store.announcesChanges
                ? RevocationWatch.announcedInterval : .nanoseconds(configuration.revocationCheckInterval.nanoseconds),
            logger: logger)
        let trimmer = MemoryTrimmer(limiter: limiter, interval: .seconds(15))
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await watch.run() }
            tasks.addTask { await trimmer.run() }
            await withGracefulShutdownHandler {
                try? await channel.closeFuture.get()
            } onGracefulShutdown: {
                channel.close(promise: nil)
                nodeChannel?.close(promise: nil)
            }
            nodeChannel?.close(promise: nil)
            tasks.cancelAll()
        }
        await drain()
        try? await group.shutdownGracefully()
    }

    /// The node listener, with `--node-listen`.
    private func bindNodeListener(context: RelayContext, keepalive: KeepaliveHandler.Configuration) async throws -> (any Channel)? {
        guard let listen = configuration.nodeListen, let nodeTLS else { return nil }
        let channel = try await NodeListener.bind(
            host: listen.host, port: listen.port, group: group, tls: nodeTLS.listener, relay: context, keepalive: keepalive)
        logger.info(
            "Node listener up",
            metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")", "node.address": "\(configuration.nodeAddress)"])
        return channel
    }

    /// After the listener closed: agents are told to go (they redial with backoff), sessions
    /// still waiting for an agent end now, running sessions may finish within the grace
    /// period, then whatever is left is closed with `relayShutdown`, and the store writes
    /// those ends made (sessions, presence, audit) are waited for.
    private func drain() async {
        let reason = "the relay is shutting down"
        logger.info("Relay stopping", metadata: ["sessions": "\(broker.activeCount)", "carried": "\(broker.carriedCount)"])
        var closing = agents.all.map { $0.channel.closeWithGoingAway(.relayShutdown, reason) }
        closing += broker.closePending(code: .relayShutdown, message: reason)
        let deadline = ContinuousClock.now + .nanoseconds(configuration.shutdownGrace.nanoseconds)
        while broker.activeCount + broker.carriedCount > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        closing += broker.closeAll(code: .relayShutdown, message: reason)
        // Each closes once its going-away frame left (at most 2 s for a peer that does not read).
        for closed in closing { try? await closed.get() }
        let left = await writes.drain(within: Self.storeWritesGrace)
        if left > 0 { logger.error("Store writes abandoned at shutdown", metadata: ["count": "\(left)"]) }
    }

    /// How long shutdown waits for the store writes that connection ends caused.
    static let storeWritesGrace = Duration.seconds(10)
}
