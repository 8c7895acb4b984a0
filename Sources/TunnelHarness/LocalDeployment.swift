import AgentConfig
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import SharedWire
import TunnelAgent
import TunnelPKI
import TunnelRelay
import TunnelTransport

/// A whole tunnel on loopback in one process, for the tests and the benchmarks: a relay
/// with real TLS and its own CAs in a temporary data directory, registered devices, agents
/// on real serial devices (PTYs), and clients dialling with one-time tokens.
// Unchecked: the mutable fields (store, relay, its service group, agents) change only in
// `startAgent`, `restartRelay` and `stop`, which a test calls one after another from its own task.
public final class LocalDeployment: @unchecked Sendable {
    public let directory: String
    public private(set) var store: SQLiteRelayStore
    public private(set) var relay: RelayServer
    public let relayAddress: RelayAddress
    private var relayGroup: ServiceGroup
    private var relayTask: Task<Void, any Error>
    public let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var agents: [AgentHandle] = []
    private let logger: Logger

    /// Starts a relay on a free loopback port with `devices` registered.
    public static func start(
        devices: [String] = ["pack-1"], relayThreads: Int = 1,
        pingInterval: TimeAmount = .seconds(15), peerTimeout: TimeAmount = .seconds(45),
        handshakeTimeout: TimeAmount = .seconds(10), sessionSetupTimeout: TimeAmount = .seconds(10),
        listenPort: Int = 0, directory: String? = nil, logLevel: Logger.Level = .warning, captureSessions: Bool = false,
        sourceLimits: SourceLimiter.Configuration = .init(), shutdownGrace: TimeAmount = .seconds(2)
    ) async throws -> LocalDeployment {
        let directory =
            directory
            ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("tunnel-\(UUID().uuidString.prefix(8))").path
        let credentials = RelayCredentials(dataDirectory: directory)
        if !credentials.exist { try credentials.create(hostnames: ["localhost", "127.0.0.1", "::1"]) }
        var logger = Logger(label: "harness")
        logger.logLevel = logLevel
        let configuration = RelayConfiguration(
            listenHost: "127.0.0.1", listenPort: listenPort, dataDirectory: directory, threads: relayThreads,
            pingInterval: pingInterval, peerTimeout: peerTimeout, handshakeTimeout: handshakeTimeout,
            sessionSetupTimeout: sessionSetupTimeout, captureSessions: captureSessions, sourceLimits: sourceLimits,
            shutdownGrace: shutdownGrace)
        let store = try await SQLiteRelayStore.open(path: configuration.storePath, logger: logger)
        for device in devices where try await store.device(id: device) == nil {
            let certificate = try credentials.issueDeviceBundle(deviceID: device, into: directory + "/agents/\(device)")
            try await store.addDevice(
                DeviceRecord(
                    id: device, customer: "test", createdAt: Date(), certificateSerial: "\(certificate.serialNumber)"))
        }
        let relay = try RelayServer(configuration: configuration, store: store, logger: logger)
        let group: ServiceGroup
        do {
            group = try await serviceGroup(relay: relay, store: store, logger: logger)
        } catch {
            try? await store.close()
            throw error
        }
        let task = Task { try await group.run() }
        let address = try await relay.boundAddress
        return LocalDeployment(
            directory: directory, store: store, relay: relay,
            relayAddress: RelayAddress(host: "127.0.0.1", port: address.port!), relayGroup: group, relayTask: task,
            logger: logger)
    }

    private init(
        directory: String, store: SQLiteRelayStore, relay: RelayServer, relayAddress: RelayAddress,
        relayGroup: ServiceGroup, relayTask: Task<Void, any Error>, logger: Logger
    ) {
        self.directory = directory
        self.store = store
        self.relay = relay
        self.relayAddress = relayAddress
        self.relayGroup = relayGroup
        self.relayTask = relayTask
        self.logger = logger
    }

    /// The relay's services as `tunnel-relay serve` runs them: its node registered in the store
    /// and heartbeating (so its agents count as online), then the relay.
    private static func serviceGroup(relay: RelayServer, store: SQLiteRelayStore, logger: Logger) async throws -> ServiceGroup {
        let configuration = relay.configuration
        let heartbeat = try await NodeHeartbeat.register(
            store: store, identity: try NodeIdentity(name: configuration.nodeName, address: configuration.nodeAddress),
            logger: logger)
        return ServiceGroup(configuration: .init(services: [heartbeat, relay], logger: logger))
    }

    /// Stops the relay the way SIGTERM does (graceful: running sessions get the grace period);
    /// agents stay up and start redialling.
    public func stopRelay() async {
        await relayGroup.triggerGracefulShutdown()
        _ = try? await relayTask.value
    }

    /// Stops the relay (agents stay up and start redialling) and starts it again on the same
    /// port and data directory.
    public func restartRelay() async throws {
        await relayGroup.triggerGracefulShutdown()
        _ = try? await relayTask.value
        try? await store.close()
        let old = relay.configuration
        let configuration = RelayConfiguration(
            listenHost: old.listenHost, listenPort: relayAddress.port, dataDirectory: old.dataDirectory,
            threads: old.threads, pingInterval: old.pingInterval, peerTimeout: old.peerTimeout,
            handshakeTimeout: old.handshakeTimeout, sessionSetupTimeout: old.sessionSetupTimeout,
            captureSessions: old.captureSessions, sourceLimits: old.sourceLimits, shutdownGrace: old.shutdownGrace)
        store = try await SQLiteRelayStore.open(path: configuration.storePath, logger: logger)
        relay = try RelayServer(configuration: configuration, store: store, logger: logger)
        relayGroup = try await Self.serviceGroup(relay: relay, store: store, logger: logger)
        let group = relayGroup
        relayTask = Task { try await group.run() }
        _ = try await relay.boundAddress
    }

    /// The credential bundle `tunnel-relay device add` wrote for `deviceID`.
    public func bundle(for deviceID: String) -> RelayCredentials.Bundle {
        RelayCredentials.Bundle(directory: directory + "/agents/\(deviceID)")
    }

    /// A TLS client context trusting this relay, with `deviceID`'s certificate when given.
    public func clientTLS(deviceID: String? = nil) throws -> NIOSSLContext {
        let ca = try PEMFiles.certificates(at: RelayCredentials(dataDirectory: directory).serverCAPath)
        guard let deviceID else { return try NIOSSLContext(configuration: TLSPolicy.client(trustedCA: ca)) }
        let bundle = bundle(for: deviceID)
        return try NIOSSLContext(
            configuration: TLSPolicy.client(
                trustedCA: ca, chain: try PEMFiles.certificates(at: bundle.certificatePath),
                key: try PEMFiles.privateKey(at: bundle.keyPath)))
    }

    /// Starts an agent for `deviceID` on `serialDevice`; returns once it is connected.
    @discardableResult
    public func startAgent(
        deviceID: String, serialDevice: String, relay: RelayAddress? = nil, reconnectMax: Double = 1,
        keepalive: KeepaliveHandler.Configuration = .init()
    ) async throws -> AgentHandle {
        let dialer = TunnelDialer(relay: relay ?? relayAddress, tls: try clientTLS(deviceID: deviceID), keepalive: keepalive)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let line = SerialLine(settings: AgentSettings.Serial(device: serialDevice), logger: logger)
        let sessions = AgentSessions(line: line, dialer: dialer, software: "tunnel-agent/test", logger: logger)
        let link = RelayLink(
            dialer: dialer, sessions: sessions, group: group, software: "tunnel-agent/test",
            reconnectMax: reconnectMax, logger: logger)
        let serviceGroup = ServiceGroup(configuration: .init(services: [link], logger: logger))
        let task = Task { try await serviceGroup.run() }
        let handle = AgentHandle(deviceID: deviceID, sessions: sessions, serviceGroup: serviceGroup, task: task, group: group)
        agents.append(handle)
        try await waitUntil("agent \(deviceID) is connected") { self.relay.agents.entry(deviceID: deviceID) != nil }
        return handle
    }

    /// Opens a session the way `tunnel-relay session open` does; returns its token.
    public func openSession(
        deviceID: String, mode: TunnelMessage.SessionMode = .control, ttl: TimeInterval = 60, user: String = "test",
        takeOver: Bool = false
    ) async throws -> SessionToken {
        let token = SessionToken.generate()
        let now = Date()
        try await store.createSession(
            SessionRecord(
                id: token.sessionID, deviceID: deviceID, mode: mode, createdBy: user, createdAt: now,
                expiresAt: now.addingTimeInterval(ttl), tokenHash: token.secretHash, takeOver: takeOver))
        return token
    }

    /// Dials the relay as a client with `credential`; `makeHandler` receives every message
    /// after `WELCOME`.
    public func dialClient(
        credential: String, makeHandler: @escaping @Sendable () -> any ChannelHandler
    ) async throws -> (any Channel, TunnelMessage.Welcome) {
        let dialer = TunnelDialer(relay: relayAddress, tls: try clientTLS())
        return try await dialer.dial(
            on: clientGroup.next(), hello: .init(role: .client, software: "test-client", credential: credential),
            makeHandler: makeHandler
        ).get()
    }

    /// Stops every agent and the relay.
    public func stop() async {
        for agent in agents { await agent.stop() }
        await relayGroup.triggerGracefulShutdown()
        _ = try? await relayTask.value
        try? await store.close()
        try? await clientGroup.shutdownGracefully()
    }
}

/// An agent started by `LocalDeployment`.
public final class AgentHandle: Sendable {
    public let deviceID: String
    public let sessions: AgentSessions
    private let serviceGroup: ServiceGroup
    private let task: Task<Void, any Error>
    private let group: MultiThreadedEventLoopGroup

    init(
        deviceID: String, sessions: AgentSessions, serviceGroup: ServiceGroup, task: Task<Void, any Error>,
        group: MultiThreadedEventLoopGroup
    ) {
        self.deviceID = deviceID
        self.sessions = sessions
        self.serviceGroup = serviceGroup
        self.task = task
        self.group = group
    }

    public func stop() async {
        await serviceGroup.triggerGracefulShutdown()
        _ = try? await task.value
        try? await group.shutdownGracefully()
    }
}

/// Polls `condition` every 20 ms until it holds, failing after `timeout` with `what`.
public func waitUntil(
    _ what: String, timeout: Duration = .seconds(10), _ condition: @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw WaitTimeout(what: what)
}

public struct WaitTimeout: Error, CustomStringConvertible {
    public let what: String
    public var description: String { "timed out waiting until \(what)" }
}
