import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TunnelPlumbing

/// A TCP listener for an endpoint whose session outlives its clients: one client at a time
/// (a second is turned away), reading from it gated until the session is connected.
final class SingleClientListener: Sendable {
    private let state = NIOLockedValueBox<State>(State())

    private struct State {
        var listener: (any Channel)?
        var current: (any Channel)?
        var reading = false
    }

    /// Binds `address`; `configure` adds a new client's handlers. Returns the bound
    /// `host:port`.
    func start(
        address: RelayAddress, eventLoop: any EventLoop, configure: @escaping @Sendable (any Channel) throws -> Void
    ) async throws -> String {
        let state = self.state
        let listener = try await ServerBootstrap(group: eventLoop)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let accepted = state.withLockedValue { state -> Bool in
                    guard state.current == nil else { return false }
                    state.current = channel
                    return true
                }
                guard accepted else { return channel.close() }
                channel.closeFuture.whenComplete { _ in
                    state.withLockedValue { if $0.current === channel { $0.current = nil } }
                }
                return channel.setOption(ChannelOptions.autoRead, value: state.withLockedValue { $0.reading })
                    .flatMapThrowing { try configure(channel) }
            }
            .bind(host: address.host, port: address.port)
            .get()
        state.withLockedValue { $0.listener = listener }
        return listener.localAddress.map { "\($0.ipAddress ?? address.host):\($0.port ?? address.port)" } ?? "\(address)"
    }

    /// Turns reading from the client on (session connected) or off, for this client and the next.
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
