import NIOCore

/// Writes a bulk transfer as fast as the channel takes it: `chunkSize` bytes per write,
/// each flushed, stopping while the channel is unwritable and going on when it is writable
/// again, so no more than the channel's write buffer is held at once. Completes `started`
/// with the time of the first write.
final class BulkSender: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let total: Int
    private let chunkSize: Int
    private let pattern: BulkPattern
    private let started: EventLoopPromise<ContinuousClock.Instant>
    private var sent = 0
    private var pumping = false

    init(total: Int, chunkSize: Int, started: EventLoopPromise<ContinuousClock.Instant>) {
        self.total = total
        self.chunkSize = chunkSize
        self.pattern = BulkPattern(maxSlice: chunkSize)
        self.started = started
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard context.channel.isActive else {
            return started.fail(ChannelError.ioOnClosedChannel)
        }
        pump(context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { pump(context) }
        context.fireChannelWritabilityChanged()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // The other end only receives during a bulk transfer; nothing comes back.
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        started.fail(ChannelError.inappropriateOperationForState)  // no effect once started
    }

    private func pump(_ context: ChannelHandlerContext) {
        // A flush can drain the buffer and report writability inside this loop; the loop
        // itself goes on then.
        guard !pumping else { return }
        pumping = true
        defer { pumping = false }
        if sent == 0 { started.succeed(.now) }
        while sent < total, context.channel.isWritable {
            let length = min(chunkSize, total - sent)
            context.writeAndFlush(wrapOutboundOut(pattern.slice(at: sent, length: length)), promise: nil)
            sent += length
        }
    }
}
