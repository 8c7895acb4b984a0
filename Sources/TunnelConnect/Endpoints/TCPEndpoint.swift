import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TunnelPlumbing

/// A raw TCP port carrying the serial bytes, one Control Panel connection at a time. The
/// session outlives a connection: the Control Panel may disconnect and connect again.
final class TCPEndpoint: LocalEndpoint {
    private let address: RelayAddress
    private let state = NIOLockedValueBox<State>(State())

    private struct State {
        var listener: (any Channel)?
        var current: (any Channel)?
        var reading = false
    }

    init(address: RelayAddress) {
        self.address = address
    }

    func start(bridge: SerialBridge) async throws -> String {
        let state = self.state
        let listener = try await ServerBootstrap(group: bridge.eventLoop)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let accepted = state.withLockedValue { state -> Bool in
                    guard state.current == nil else { return false }
                    state.current = channel
                    return true
                }
                guard accepted else {
                    // One Control Panel per session: a second connection is turned away.
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in
                    state.withLockedValue { if $0.current === channel { $0.current = nil } }
                }
                return channel.setOption(ChannelOptions.autoRead, value: state.withLockedValue { $0.reading })
                    .flatMapThrowing { try channel.pipeline.syncOperations.addHandler(bridge.makeLocalHandler()) }
            }
            .bind(host: address.host, port: address.port)
            .get()
        state.withLockedValue { $0.listener = listener }
        return "tcp://\(listener.localAddress.map { "\($0.ipAddress ?? address.host):\($0.port ?? address.port)" } ?? "\(address)")"
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
