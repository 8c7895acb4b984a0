import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Bounds the connections one source address may hold on a listener at once: one more is
/// closed as soon as it starts, before TLS. The source is where the connection really comes
/// from (`Channel.clientSource`), so behind a balancer its clients are counted, not the
/// balancer. Idle and half-made connections are the listener's timeouts' to close.
final class SourceGate: ChannelInboundHandler, RemovableChannelHandler {
    /// Reads pass through untouched; the gate looks only at a connection's start and end.
    typealias InboundIn = Any

    private let limiter: NIOLockedValueBox<SourceLimiter>
    private let logger: Logger?
    private var source: String?

    /// `logger`, if given, hears of every refusal.
    init(limiter: NIOLockedValueBox<SourceLimiter>, logger: Logger? = nil) {
        self.limiter = limiter
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        let source = context.channel.clientSource
        if case .refused(let reason) = limiter.withLockedValue({ $0.connectionOpened(from: source, now: .now()) }) {
            logger?.notice("Connection refused", metadata: ["peer": "\(source)", "reason": "\(reason)"])
            context.close(promise: nil)
            return
        }
        self.source = source
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let source {
            limiter.withLockedValue { $0.connectionClosed(from: source) }
            self.source = nil
        }
        context.fireChannelInactive()
    }
}
