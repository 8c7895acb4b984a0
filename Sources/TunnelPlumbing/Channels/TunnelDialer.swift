import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import SharedWire

/// Where a relay listens, as `host:port`.
public struct RelayAddress: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` or `[v6]:port`, naming the input when it is not one.
    public init(parsing text: String) throws {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[close...].dropFirst().drop(while: { $0 == ":" })
        } else if let colon = text.lastIndex(of: ":") {
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        } else {
            throw AddressError(text: text)
        }
        guard !hostPart.isEmpty, let port = Int(portPart), (1...65_535).contains(port) else {
            throw AddressError(text: text)
        }
        self.init(host: String(hostPart), port: port)
    }

    /// True when `host` is an IP literal (TLS then checks the certificate's IP addresses).
    public var hostIsIPAddress: Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public struct AddressError: Error, CustomStringConvertible {
        public let text: String
        public var description: String { "\"\(text)\" is not an address of the form host:port" }
    }
}

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
                    try sync.addHandler(HelloExchangeHandler(
                        hello: hello, welcome: welcome))
                    try sync.addHandler(makeHandler())
                }
            }
            .connect(host: relay.host, port: relay.port)
        connected.whenFailure { welcome.fail($0) }
        return connected.and(welcome.futureResult)
    }
}
