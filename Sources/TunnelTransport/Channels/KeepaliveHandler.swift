import NIOCore
import SharedWire

/// Keeps a tunnel connection honest: pings at an interval, answers pings, and closes the
/// connection with `keepaliveTimeout` when nothing at all arrived for the timeout, whatever
/// TCP believes. Pings and pongs go no further up the pipeline. A peer that keeps pinging
/// without reading the pongs is closed once `TunnelLimits.maxUnsentBytesBeforeReply` bytes
/// wait unsent.
public final class KeepaliveHandler: ChannelDuplexHandler {
    public typealias InboundIn = TunnelMessage
    public typealias InboundOut = TunnelMessage
    public typealias OutboundIn = TunnelMessage
    public typealias OutboundOut = TunnelMessage

    public struct Configuration: Sendable {
        /// Send a ping after this much silence from the peer.
        public let interval: TimeAmount
        /// Close after this much silence from the peer.
        public let timeout: TimeAmount

        public init(
            interval: TimeAmount = .seconds(TunnelLimits.defaultPingIntervalSeconds),
            timeout: TimeAmount = .seconds(TunnelLimits.defaultPeerTimeoutSeconds)
        ) {
            self.interval = interval
            self.timeout = timeout
        }
    }

    private let configuration: Configuration
    private var lastHeard = NIODeadline.now()
    private var nonce: UInt64 = 0
    private var tick: RepeatedTask?
    /// True once the peer was found not to read its pongs: the connection is closing.
    private var deaf = false

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        tick?.cancel()
        tick = nil
    }

    public func channelInactive(context: ChannelHandlerContext) {
        tick?.cancel()
        tick = nil
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastHeard = .now()
        switch unwrapInboundIn(data) {
        case .ping(let nonce):
            // Bounded: a peer that pings and never reads is closed, not answered without end.
            guard !deaf else { return }
            deaf = !context.reply(.pong(nonce))
        case .pong:
            break
        default:
            context.fireChannelRead(data)
        }
    }

    private func start(context: ChannelHandlerContext) {
        guard tick == nil else { return }
        lastHeard = .now()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        tick = context.eventLoop.scheduleRepeatedTask(
            initialDelay: configuration.interval, delay: configuration.interval
        ) { _ in
            let (handler, context) = loopBound.value
            handler.check(context: context)
        }
    }

    private func check(context: ChannelHandlerContext) {
        let silence = NIODeadline.now() - lastHeard
        if silence >= configuration.timeout {
            tick?.cancel()
            tick = nil
            context.closeWithGoingAway(.keepaliveTimeout, "nothing heard for \(silence.nanoseconds / 1_000_000) ms")
        } else if silence >= configuration.interval {
            nonce &+= 1
            context.writeAndFlush(wrapOutboundOut(.ping(nonce)), promise: nil)
        }
    }
}
