import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import SharedWire

/// Opens tunnel connections to a relay: TCP, TLS, the frame codec, keepalive, and the
/// `HELLO`/`WELCOME` exchange.
public struct TunnelDialer: Sendable {
    public let relay: RelayAddress
    /// The TLS context of the next connection; shared by copies of this dialer, so a renewed
    /// client certificate (`replaceTLS`) reaches every part that dials.
    private let context: NIOLockedValueBox<NIOSSLContext>
    public let keepalive: KeepaliveHandler.Configuration
    public let connectTimeout: TimeAmount

    public init(
        relay: RelayAddress, tls: NIOSSLContext,
        keepalive: KeepaliveHandler.Configuration = .init(), connectTimeout: TimeAmount = .seconds(10)
    ) {
        self.relay = relay
        self.context = NIOLockedValueBox(tls)
        self.keepalive = keepalive
        self.connectTimeout = connectTimeout
    }

    /// The TLS context new connections get.
    public var tls: NIOSSLContext { context.withLockedValue { $0 } }

    /// New connections from now on use `tls`; connections already up keep theirs.
    public func replaceTLS(_ tls: NIOSSLContext) {
        context.withLockedValue { $0 = tls }
    }

    /// Dials, says `hello`, and completes once the relay welcomed the connection. The handler
    /// made by `makeHandler` sits last in the pipeline and receives every message after `WELCOME`.
    public func dial(
        on eventLoop: any EventLoop, hello: TunnelMessage.Hello,
        makeHandler: @escaping @Sendable () -> any ChannelHandler
    ) -> EventLoopFuture<(any Channel, TunnelMessage.Welcome)> {
        let welcome = eventLoop.makePromise(of: TunnelMessage.Welcome.self)
        let serverName = relay.hostIsIPAddress ? nil : relay.host
        let tls = self.tls
        let keepalive = self.keepalive
        let connected = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    try sync.addTunnelCodec(keepalive: keepalive)
                    try sync.addHandler(
                        HelloExchangeHandler(
                            hello: hello, welcome: welcome))
                    try sync.addHandler(makeHandler())
                }
            }
            .connect(host: relay.host, port: relay.port)
        connected.whenFailure { welcome.fail($0) }
        return connected.and(welcome.futureResult)
    }
}
