import Logging
import NIOConcurrencyHelpers
import NIOCore
import SharedWire

/// Speaks G1 on one byte stream: answers read requests from the shared pack and sends the
/// periodic broadcasts.
final class G1Responder: ChannelInboundHandler {
    typealias InboundIn = G1LineDecoder.Output
    typealias OutboundOut = ByteBuffer

    private let pack: NIOLockedValueBox<SimulatedPack>
    private let broadcastPeriod: TimeAmount?
    private let logger: Logger
    private var broadcast: RepeatedTask?

    init(pack: NIOLockedValueBox<SimulatedPack>, broadcastPeriod: TimeAmount?, logger: Logger) {
        self.pack = pack
        self.broadcastPeriod = broadcastPeriod
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        if let period = broadcastPeriod {
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            broadcast = context.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
                let (handler, context) = loopBound.value
                handler.send(handler.pack.withLockedValue { $0.broadcasts }, context: context)
            }
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        broadcast?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .sentence(let sentence):
            logger.debug("Request", metadata: ["sentence": "\(sentence)"])
            guard sentence.isRequest, let answer = pack.withLockedValue({ $0.answer(sentence.name) }) else {
                logger.info("Not answered", metadata: ["sentence": "\(sentence)"])
                return
            }
            send(answer, context: context)
        case .invalid(let error):
            logger.info("Invalid line", metadata: ["error": "\(error)"])
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.warning("Stream error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func send(_ sentences: [G1Sentence], context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 64 * sentences.count)
        for sentence in sentences { buffer.writeG1Sentence(sentence) }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }
}
