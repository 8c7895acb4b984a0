import Histogram
import NIOCore

/// Drives one-at-a-time round trips over a byte channel: sends a request, waits until as many
/// bytes came back, checks they are the request, records the time and sends the next. The
/// first `warmup` round trips are made but not recorded.
final class RoundTripDriver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// How many round trips, of what size, within how long.
    struct Plan: Sendable {
        /// The path measured, for error messages.
        let phase: String
        let payloadSize: Int
        let warmup: Int
        let count: Int
        let timeout: TimeAmount
    }

    /// Latencies are recorded in nanoseconds; anything above a minute is beyond a round trip.
    static func emptyHistogram() -> Histogram<UInt64> {
        Histogram(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    }

    private let plan: Plan
    private let done: EventLoopPromise<Histogram<UInt64>>
    private var histogram = RoundTripDriver.emptyHistogram()
    private var request = ByteBuffer()
    private var answer = ByteBuffer()
    private var completed = 0
    private var sentAt = ContinuousClock.now
    private var timer: Scheduled<Void>?
    private var finished = false

    init(plan: Plan, done: EventLoopPromise<Histogram<UInt64>>) {
        self.plan = plan
        self.done = done
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: plan.timeout) {
            let (driver, context) = loopBound.value
            driver.fail(context, .timedOut(phase: driver.plan.phase, progress: driver.progress, after: driver.plan.timeout))
        }
        answer = context.channel.allocator.buffer(capacity: plan.payloadSize * 2)
        guard context.channel.isActive else {
            return fail(context, .interrupted(phase: plan.phase, progress: progress, cause: ChannelError.ioOnClosedChannel))
        }
        sendRequest(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let arrived = ContinuousClock.now
        guard !finished else { return }
        var bytes = unwrapInboundIn(data)
        answer.writeBuffer(&bytes)
        guard answer.readableBytes >= plan.payloadSize else { return }
        guard answer == request else {
            return fail(
                context,
                .mismatch(
                    phase: plan.phase,
                    detail: """
                        round trip \(completed + 1): sent \(request.readableBytes) bytes \(request.hexDump(format: .plain)), \
                        got \(answer.readableBytes) bytes \(answer.hexDump(format: .plain(maxBytes: 64)))
                        """))
        }
        if completed >= plan.warmup {
            _ = histogram.record((arrived - sentAt).wholeNanoseconds)
        }
        completed += 1
        answer.clear()
        if completed == plan.warmup + plan.count {
            finish()
        } else {
            sendRequest(context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context, .interrupted(phase: plan.phase, progress: progress, cause: error))
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(context, .interrupted(phase: plan.phase, progress: progress, cause: ChannelError.eof))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(context, .interrupted(phase: plan.phase, progress: progress, cause: ChannelError.inappropriateOperationForState))
    }

    /// A request differs from the one before, so a stale or repeated answer shows.
    private func sendRequest(_ context: ChannelHandlerContext) {
        request = context.channel.allocator.buffer(capacity: plan.payloadSize)
        for index in 0..<plan.payloadSize {
            request.writeInteger(UInt8(truncatingIfNeeded: completed &* 31 &+ index &* 7))
        }
        sentAt = .now
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
    }

    private var progress: String { "\(completed) of \(plan.warmup + plan.count) round trips done" }

    private func finish() {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        done.succeed(histogram)
    }

    private func fail(_ context: ChannelHandlerContext, _ failure: PhaseFailure) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        done.fail(failure)
    }
}
