import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import TunnelPKI

/// The relay's HTTPS + JSON admin API (docs/openapi.yaml) on a port of its own: devices,
/// sessions, the audit log, health, readiness and Prometheus metrics. Every `/v1` route needs
/// an API key; what it may do follows the key's user's role and customers.
public final class AdminAPI: Service, Sendable {
    /// Largest request body taken.
    static let maxBodySize = 64 * 1024
    /// A connection with no request for this long is closed: it bounds idle keep-alive
    /// connections, TLS handshakes that never finish and requests sent a byte at a time.
    /// Responses being written (an event stream) are not cut.
    static let idleTimeout = TimeAmount.seconds(15)

    /// Where the API listens and what it puts in connect URLs.
    public struct Configuration: Sendable {
        public let host: String
        public let port: Int
        /// host:port of the relay's tunnel port, for session URLs.
        public let publicAddress: String

        public init(host: String = "127.0.0.1", port: Int = 8443, publicAddress: String) {
            self.host = host
            self.port = port
            self.publicAddress = publicAddress
        }
    }

    private let application: Application<RouterResponder<AdminRequestContext>>
    private let logger: Logger
    private let bound: EventLoopPromise<Int>
    private let boundSettled = NIOLockedValueBox(false)
    private let credentials: RelayCredentials
    /// The certificate and key each new handshake presents; `reloadCredentials()` swaps them.
    private let served: NIOLockedValueBox<NIOSSLContextConfigurationOverride>

    public init(configuration: Configuration, relay: RelayServer, store: any RelayStore, logger: Logger) throws {
        let credentials = RelayCredentials(dataDirectory: relay.configuration.dataDirectory)
        let chain = try PEMFiles.certificates(at: credentials.serverCertificatePath)
        let key = try PEMFiles.privateKey(at: credentials.serverKeyPath)
        let served = NIOLockedValueBox(Self.presenting(chain, key))
        var tls = TLSPolicy.httpsServer(chain: chain, key: key)
        tls.sslContextCallback = { _, promise in promise.succeed(served.withLockedValue { $0 }) }
        self.credentials = credentials
        self.served = served
        let routes = AdminRoutes(
            store: store, relay: relay, metrics: relay.metrics, publicAddress: configuration.publicAddress,
            limiter: NIOLockedValueBox(SourceLimiter(configuration: relay.configuration.sourceLimits)),
            console: try ConsoleRoutes(store: store, relay: relay, publicAddress: configuration.publicAddress, logger: logger))
        self.logger = logger
        let bound = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Int.self)
        let settled = boundSettled
        self.bound = bound
        let connections = NIOLockedValueBox(SourceLimiter(configuration: relay.configuration.sourceLimits))
        let http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [SourceGate(limiter: connections)], idleTimeout: Self.idleTimeout)
        application = Application(
            router: routes.router(), server: try Self.server(http: http, tls: tls, relay: relay, logger: logger),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "tunnel-relay"),
            onServerRunning: { channel in
                if settled.withLockedValue({ settled in
                    defer { settled = true }
                    return !settled
                }) {
                    bound.succeed(channel.localAddress?.port ?? 0)
                }
            }, logger: logger)
    }

    /// HTTP/1 over TLS, behind a PROXY protocol header when the admin listener expects one.
    private static func server(
        http: HTTP1Channel.Configuration, tls: TLSConfiguration, relay: RelayServer, logger: Logger
    ) throws -> HTTPServerBuilder {
        let proxyProtocol = relay.configuration.proxyProtocol
        guard proxyProtocol.listeners.contains(.admin) else { return try .tls(.http1(configuration: http), tlsConfiguration: tls) }
        let (timeout, refusals) = (relay.configuration.handshakeTimeout, relay.metrics.proxyHeaderRefusalsAdmin)
        return HTTPServerBuilder { responder in
            ProxyHeaderChannel(base: try TLSChannel(HTTP1Channel(responder: responder, configuration: http), tlsConfiguration: tls)) {
                ProxyHeaderHandler(listener: "admin", configuration: proxyProtocol, timeout: timeout, refusals: refusals, logger: logger)
            }
        }
    }

    private static func presenting(_ chain: [NIOSSLCertificate], _ key: NIOSSLPrivateKey) -> NIOSSLContextConfigurationOverride {
        var override = NIOSSLContextConfigurationOverride()
        override.certificateChain = chain.map { .certificate($0) }
        override.privateKey = .privateKey(key)
        return override
    }

    /// Reads the server certificate and key again: handshakes from now on present them,
    /// connections already up keep theirs. Files that do not load leave the current ones.
    public func reloadCredentials() throws {
        let override = Self.presenting(
            try PEMFiles.certificates(at: credentials.serverCertificatePath), try PEMFiles.privateKey(at: credentials.serverKeyPath))
        served.withLockedValue { $0 = override }
        logger.notice("Admin API certificate reloaded", metadata: ["directory": "\(credentials.directory)"])
    }

    /// The port the API listens on, once it does.
    public var boundPort: Int {
        get async throws { try await bound.futureResult.get() }
    }

    public func run() async throws {
        defer {
            if boundSettled.withLockedValue({ settled in
                defer { settled = true }
                return !settled
            }) {
                bound.fail(CancellationError())
            }
        }
        do {
            try await application.run()
        } catch {
            // The tunnel matters more than its admin port: say so loudly and keep the relay up.
            logger.error("Admin API stopped; the tunnel keeps running", metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
        }
    }
}
