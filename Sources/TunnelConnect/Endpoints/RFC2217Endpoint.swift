import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SharedWire
import TunnelPlumbing

/// An RFC 2217 port: Telnet with COM-PORT-OPTION, so that a client (pyserial's
/// `rfc2217://`, a Windows virtual COM port driver) changes the far port's speed, framing
/// and lines as well as carrying its bytes. One client at a time; the session outlives a
/// client, which may disconnect and connect again.
final class RFC2217Endpoint: LocalEndpoint {
    private let address: RelayAddress
    private let logger: Logger
    private let state = NIOLockedValueBox<State>(State())

    private struct State {
        var listener: (any Channel)?
        var current: (any Channel)?
        var reading = false
        var link: SerialControlLink?
        /// What the last client's connection learnt about the port, for the next one.
        var settings = ComPortSettings()
    }

    init(address: RelayAddress, logger: Logger = Logger(label: "tunnel-connect.rfc2217")) {
        self.address = address
        self.logger = logger
    }

    var controlReceiver: (any SerialControlReceiver)? { state.withLockedValue { $0.link } }

    func start(bridge: SerialBridge) async throws -> String {
        let state = self.state
        let logger = self.logger
        let link = SerialControlLink(bridge: bridge, logger: logger)
        state.withLockedValue { $0.link = link }
        let listener = try await ServerBootstrap(group: bridge.eventLoop)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let accepted = state.withLockedValue { state -> ComPortSettings? in
                    guard state.current == nil else { return nil }
                    state.current = channel
                    return state.settings
                }
                guard let settings = accepted else {
                    // One client per session: a second connection is turned away.
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in
                    state.withLockedValue { if $0.current === channel { $0.current = nil } }
                }
                return channel.setOption(ChannelOptions.autoRead, value: state.withLockedValue { $0.reading })
                    .flatMapThrowing {
                        let handler = ComPortServerHandler(settings: settings, link: link, logger: logger) { learnt in
                            state.withLockedValue { $0.settings = learnt }
                        }
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.addHandler(ByteToMessageHandler(TelnetDecoder()))
                        try pipeline.addHandler(handler)
                        try pipeline.addHandler(bridge.makeLocalHandler())
                    }
            }
            .bind(host: address.host, port: address.port)
            .get()
        state.withLockedValue { $0.listener = listener }
        let bound = listener.localAddress.map { "\($0.ipAddress ?? address.host):\($0.port ?? address.port)" }
        return "rfc2217://\(bound ?? "\(address)")"
    }

    let survivesLocalClose = true

    func setReading(_ on: Bool) {
        let current = state.withLockedValue { state in
            state.reading = on
            return state.current
        }
        current?.setOption(ChannelOptions.autoRead, value: on).whenFailure { _ in }
    }

    func close() {
        let (listener, current) = state.withLockedValue { ($0.listener, $0.current) }
        listener?.close(promise: nil)
        current?.close(promise: nil)
    }
}
