import Foundation
import NIOCore
import SharedWire

/// How a relay runs. Loaded from flags (and later a file) by the `serve` command.
public struct RelayConfiguration: Sendable {
    /// Address the tunnel port binds to.
    public let listenHost: String
    /// Tunnel port; 0 picks a free port (tests).
    public let listenPort: Int
    /// Folder holding the store and the TLS material made by `tunnel-relay init`.
    public let dataDirectory: String
    /// `host:port` that agents and clients use to reach this relay, put in connect URLs.
    public let publicAddress: String
    /// Event loop threads; 0 means one per core.
    public let threads: Int
    /// Ping interval on every connection.
    public let pingInterval: TimeAmount
    /// Silence after which a peer is dead.
    public let peerTimeout: TimeAmount
    /// Time a new connection has to finish TLS and `HELLO`.
    public let handshakeTimeout: TimeAmount
    /// Time a claimed session waits for its agent's data connection.
    public let sessionSetupTimeout: TimeAmount
    /// Record every session's serial traffic into `<data>/captures/<session>.jsonl`.
    public let captureSessions: Bool
    /// Per-address bounds on connections and failed authentications.
    public let sourceLimits: SourceLimiter.Configuration
    /// How long sessions may go on after SIGTERM before they are closed.
    public let shutdownGrace: TimeAmount
    /// How often the relay looks for devices revoked or reset by an operator, to cut them, and
    /// for sessions to end, on a store that cannot announce them (SQLite); on PostgreSQL they
    /// are announced, and read at once (`RevocationWatch`).
    public let revocationCheckInterval: TimeAmount
    /// This relay's name in the presence records (which node holds which agent) and the
    /// `nodes` table; unique among the nodes sharing a store.
    public let nodeName: String
    /// `host:port` at which the other nodes reach this one, kept in the `nodes` table.
    public let nodeAddress: String
    /// Where the node listener binds (`host`, `port`): the other nodes of a cluster pair
    /// sessions through it. `nil`: no listener, sessions pair only on this node.
    public let nodeListen: (host: String, port: Int)?
    /// Which listeners take a PROXY protocol v2 header from a load balancer, and from where.
    /// The header must arrive within `handshakeTimeout`.
    public let proxyProtocol: ProxyProtocolConfiguration

    public init(
        listenHost: String = "0.0.0.0",
        listenPort: Int = 7443,
        dataDirectory: String = "/var/lib/tunnel-relay",
        publicAddress: String = "localhost:7443",
        threads: Int = 0,
        pingInterval: TimeAmount = .seconds(TunnelLimits.defaultPingIntervalSeconds),
        peerTimeout: TimeAmount = .seconds(TunnelLimits.defaultPeerTimeoutSeconds),
        handshakeTimeout: TimeAmount = .seconds(TunnelLimits.defaultHandshakeTimeoutSeconds),
        sessionSetupTimeout: TimeAmount = .seconds(30),
        captureSessions: Bool = false,
        sourceLimits: SourceLimiter.Configuration = .init(),
        shutdownGrace: TimeAmount = .seconds(10),
        revocationCheckInterval: TimeAmount = .seconds(1),
        nodeName: String = NodeIdentity.defaultName(),
        nodeAddress: String? = nil,
        nodeListen: (host: String, port: Int)? = nil,
        proxyProtocol: ProxyProtocolConfiguration = .init()
    ) {
        self.proxyProtocol = proxyProtocol
        self.revocationCheckInterval = revocationCheckInterval
        self.nodeName = nodeName
        self.nodeListen = nodeListen
        self.nodeAddress = nodeAddress ?? NodeIdentity.defaultAddress(name: nodeName, listenPort: nodeListen?.port ?? listenPort)
        self.captureSessions = captureSessions
        self.sourceLimits = sourceLimits
        self.shutdownGrace = shutdownGrace
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.dataDirectory = dataDirectory
        self.publicAddress = publicAddress
        self.threads = threads
        self.pingInterval = pingInterval
        self.peerTimeout = peerTimeout
        self.handshakeTimeout = handshakeTimeout
        self.sessionSetupTimeout = sessionSetupTimeout
    }

    /// Path of the embedded SQLite store.
    public var storePath: String { dataDirectory + "/relay.sqlite" }

    /// Folder of session captures.
    public var captureDirectory: String { dataDirectory + "/captures" }
}

/// Bounds the relay enforces on what peers may ask of it.
public enum RelayLimits {
    /// Sessions waiting for one device's agent at a time; more are refused with `limitReached`.
    public static let maxPendingSessionsPerDevice = 16
    /// `SERIAL_CONTROL` requests a monitor session may have unanswered at once (its refusals
    /// wait behind a `queryState` still at the agent); one more closes it with `limitReached`.
    public static let maxPendingMonitorControls = 64
}
