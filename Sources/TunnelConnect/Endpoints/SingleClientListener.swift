import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TunnelTransport

/// A TCP listener for an endpoint whose session outlives its clients: one client at a time,
/// reading from it gated until the session is connected.
///
/// A client that closes and connects again at once may be accepted before its old
/// connection's close has been read (both wait on the same event loop, in either order), so
/// the newcomer finds the old connection still there. It waits for it to go, up to
/// `handOverWait`, and takes its place. A newcomer while the client really stays is told why
/// in one line (`BusyClientRefusal`) and closed; no client is ever dropped without a word.
final class SingleClientListener: Sendable {
    /// How long a newcomer waits for the connection it found to close. The close of a client
    /// that reconnects is already in the kernel when the newcomer is accepted and is read
    /// within a turn or two of the event loop; this bounds the wait of a real second client.
    static let handOverWait: TimeAmount = .seconds(1)

    private let state = NIOLockedValueBox<State>(State())
    private let logger: Logger

    private struct State {
        var listener: (any Channel)?
        var current: (any Channel)?
        var reading = false
    }

    /// Whether a newcomer became the client.
    private enum Admission {
        case admitted
        /// Another client holds the endpoint (its address, when known).
        case busy(SocketAddress?)
    }

    init(logger: Logger) {
        self.logger = logger
    }

    /// Binds `address`; `configure` adds a new client's handlers. Returns the bound
    /// `host:port`.
    func start(
        address: RelayAddress, eventLoop: any EventLoop, configure: @escaping @Sendable (any Channel) throws -> Void
    ) async throws -> String {
        let listener = try await ServerBootstrap(group: eventLoop)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                admit(channel).flatMapThrowing { [self] admission in
                    switch admission {
                    case .admitted:
                        let reading = state.withLockedValue { $0.reading }
                        try channel.syncOptions?.setOption(ChannelOptions.autoRead, value: reading)
                        try configure(channel)
                    case .busy(let occupant):
                        logger.notice(
                            "Turned a second client away: one client at a time",
                            metadata: [
                                "client": "\(channel.remoteAddress.map { "\($0)" } ?? "?")",
                                "connected": "\(occupant.map { "\($0)" } ?? "?")",
                            ])
                        try channel.pipeline.syncOperations.addHandler(BusyClientRefusal(occupant: occupant))
                    }
                }
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

    /// Whether `channel` becomes the client: at once when there is none; when there is one,
    /// as soon as it closes if that is within `handOverWait`.
    private func admit(_ channel: any Channel) -> EventLoopFuture<Admission> {
        let eventLoop = channel.eventLoop
        guard let occupant = state.withLockedValue({ $0.current }) else {
            return eventLoop.makeSucceededFuture(take(channel))
        }
        let decided = eventLoop.makePromise(of: Admission.self)
        let waiting = NIOLoopBoundBox(true, eventLoop: eventLoop)
        let timer = eventLoop.scheduleTask(in: Self.handOverWait) {
            guard waiting.value else { return }
            waiting.value = false
            decided.succeed(.busy(occupant.remoteAddress))
        }
        occupant.closeFuture.hop(to: eventLoop).whenComplete { [self] _ in
            guard waiting.value else { return }
            waiting.value = false
            timer.cancel()
            state.withLockedValue { if $0.current === occupant { $0.current = nil } }
            decided.succeed(take(channel))
        }
        return decided.futureResult
    }

    /// Makes `channel` the client if the place is free, and frees the place when it closes.
    private func take(_ channel: any Channel) -> Admission {
        let occupant = state.withLockedValue { state -> (any Channel)? in
            guard let current = state.current else {
                state.current = channel
                return nil
            }
            return current
        }
        if let occupant { return .busy(occupant.remoteAddress) }
        channel.closeFuture.whenComplete { [state] _ in
            state.withLockedValue { if $0.current === channel { $0.current = nil } }
        }
        return .admitted
    }
}
