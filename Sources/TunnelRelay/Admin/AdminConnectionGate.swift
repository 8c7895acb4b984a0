import NIOConcurrencyHelpers
import NIOCore

/// Bounds the connections one source address may hold on the admin port at once, as the
/// tunnel port does: one more is closed as soon as it is accepted. Idle and half-made
/// connections are the HTTP server's idle timeout's to close.
final class AdminConnectionGate: ChannelInboundHandler, RemovableChannelHandler {
    /// Reads pass through untouched; the gate looks only at a connection's start and end.
    typealias InboundIn = Any

    private let connections: NIOLockedValueBox<SourceLimiter>
    private var source: String?

    /// `connections` only counts: no authentication failure is ever recorded in it.
    init(connections: NIOLockedValueBox<SourceLimiter>) {
        self.connections = connections
    }

    func channelActive(context: ChannelHandlerContext) {
        let source = context.channel.remoteAddress?.ipAddress ?? "unknown"
        if case .refused = connections.withLockedValue({ $0.connectionOpened(from: source, now: .now()) }) {
            context.close(promise: nil)
            return
        }
        self.source = source
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let source {
            connections.withLockedValue { $0.connectionClosed(from: source) }
            self.source = nil
        }
        context.fireChannelInactive()
    }
}
