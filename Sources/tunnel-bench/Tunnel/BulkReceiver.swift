import NIOCore

/// Counts the bytes of a bulk transfer as they arrive and checks each against the pattern;
/// completes `finished` with the time the last byte arrived, or fails it with what went wrong
/// (wrong or extra bytes, a closed connection, a stall past the timeout).
final class BulkReceiver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let phase: String
    private let total: Int
    private let pattern: BulkPattern
    private let timeout: TimeAmount
    private let finished: EventLoopPromise<ContinuousClock.Instant>
    private var received = 0
    private var done = false
    private var timer: Scheduled<Void>?

    init(phase: String, total: Int, chunkSize: Int, timeout: TimeAmount, finished: EventLoopPromise<ContinuousClock.Instant>) {
        self.phase = phase
        self.total = total
        self.pattern = BulkPattern(maxSlice: chunkSize)
        self.timeout = timeout
        self.finished = finished
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            let (receiver, _) = loopBound.value
            receiver.fail(.timedOut(phase: receiver.phase, progress: receiver.progress, after: receiver.timeout))
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let arrived = ContinuousClock.now
        guard !done else { return }
        let bytes = unwrapInboundIn(data)
        guard received + bytes.readableBytes <= total else {
            return fail(.mismatch(phase: phase, detail: "\(received + bytes.readableBytes) bytes arrived, \(total) were sent"))
        }
        if let wrong = pattern.firstMismatch(in: bytes, at: received) {
            return fail(
                .mismatch(
                    phase: phase,
                    detail: """
                        byte at offset \(received + wrong.index) is \(wrong.got), expected \(wrong.expected)
                        """))
        }
        received += bytes.readableBytes
        if received == total {
            done = true
            timer?.cancel()
            finished.succeed(arrived)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(.interrupted(phase: phase, progress: progress, cause: error))
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.interrupted(phase: phase, progress: progress, cause: ChannelError.eof))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(.interrupted(phase: phase, progress: progress, cause: ChannelError.inappropriateOperationForState))
    }

    private var progress: String { "\(received) of \(total) bytes arrived" }

    private func fail(_ failure: PhaseFailure) {
        guard !done else { return }
        done = true
        timer?.cancel()
        finished.fail(failure)
    }
}
