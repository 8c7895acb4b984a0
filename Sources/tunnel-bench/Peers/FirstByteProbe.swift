import NIOCore

/// Writes one byte as soon as it is in the pipeline and completes with the time the first
/// answering byte arrived: the end of a session-setup measurement.
final class FirstByteProbe: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let arrived: EventLoopPromise<ContinuousClock.Instant>

    init(arrived: EventLoopPromise<ContinuousClock.Instant>) {
        self.arrived = arrived
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { send(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        arrived.succeed(.now)
    }

    func channelInactive(context: ChannelHandlerContext) {
        arrived.fail(ChannelError.eof)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        arrived.fail(error)
    }

    private var sent = false

    private func send(_ context: ChannelHandlerContext) {
        guard !sent else { return }
        sent = true
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: [0x55])), promise: nil)
    }
}
