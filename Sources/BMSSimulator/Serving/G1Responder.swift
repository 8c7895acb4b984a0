import Logging
import NIOCore
import SharedWire

/// Speaks G1 on one byte stream: feeds each received line to the shared `SimulatedBMS`,
/// journals it, and writes the answers and the periodic broadcasts through the fault
/// injector.
final class G1Responder: ChannelInboundHandler {
    typealias InboundIn = ReceivedLineDecoder.Line
    typealias OutboundOut = ByteBuffer

    private let context: SimulatorContext
    private var schedule: BroadcastSchedule
    private var faults: FaultInjector
    private var connectedAt = NIODeadline.now()
    private var nextBroadcast: Scheduled<Void>?

    init(context: SimulatorContext, stream: UInt64) {
        self.context = context
        self.schedule = BroadcastSchedule(periods: context.configuration.broadcastPeriods)
        self.faults = FaultInjector(context.configuration.faults, stream: stream)
    }

    func channelActive(context channelContext: ChannelHandlerContext) {
        connectedAt = .now()
        scheduleBroadcast(channelContext)
        channelContext.fireChannelActive()
    }

    func channelInactive(context channelContext: ChannelHandlerContext) {
        nextBroadcast?.cancel()
        channelContext.fireChannelInactive()
    }

    func channelRead(context channelContext: ChannelHandlerContext, data: NIOAny) {
        let text: String
        switch unwrapInboundIn(data) {
        case .text(let line): text = line
        case .tooLong(let prefix):
            journal(prefix + "…", valid: false, outcome: "invalid", reason: "line longer than \(ReceivedLineDecoder.maxLineLength) bytes")
            return
        }
        if context.isSilent {
            journal(text, valid: (try? G1Sentence(line: text)) != nil, outcome: "silenced")
            return
        }
        let sentence: G1Sentence
        do {
            sentence = try G1Sentence(line: text)
        } catch {
            context.logger.info("Invalid line", metadata: ["error": "\(error)"])
            journal(text, valid: false, outcome: "invalid", reason: "\(error)")
            return
        }
        let now = context.now
        let reply = context.bms.withLockedValue { $0.receive(sentence, now: now) }
        context.logger.debug("Received", metadata: ["sentence": "\(sentence)", "outcome": "\(reply.outcome.rawValue)"])
        journal(text, valid: true, outcome: reply.outcome.rawValue, reason: reply.reason)
        send(reply.sentences, channelContext, delay: context.configuration.faults.answerDelay)
    }

    func errorCaught(context channelContext: ChannelHandlerContext, error: any Error) {
        context.logger.warning("Stream error", metadata: ["error": "\(error)"])
        channelContext.close(promise: nil)
    }

    private func journal(_ line: String, valid: Bool, outcome: String, reason: String? = nil) {
        context.journal?.record(port: "g1", line: line, valid: valid, applied: outcome == "applied", outcome: outcome, reason: reason)
    }

    /// Writes `sentences` now or after `delay` seconds, unless the BMS is silent then.
    private func send(_ sentences: [G1Sentence], _ channelContext: ChannelHandlerContext, delay: Double) {
        guard !sentences.isEmpty else { return }
        guard delay > 0 else {
            write(sentences, channelContext)
            return
        }
        let bound = NIOLoopBound((self, channelContext), eventLoop: channelContext.eventLoop)
        channelContext.eventLoop.scheduleTask(in: .nanoseconds(Int64(delay * 1e9))) {
            let (handler, channelContext) = bound.value
            handler.write(sentences, channelContext)
        }
    }

    private func write(_ sentences: [G1Sentence], _ channelContext: ChannelHandlerContext) {
        guard channelContext.channel.isActive, !context.isSilent else { return }
        let bytes = faults.bytes(for: sentences)
        guard !bytes.isEmpty else { return }
        channelContext.writeAndFlush(wrapOutboundOut(channelContext.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }

    /// Arms the timer for the next due broadcast.
    private func scheduleBroadcast(_ channelContext: ChannelHandlerContext) {
        guard let due = schedule.nextDue else { return }
        let deadline = connectedAt + .nanoseconds(Int64(due * 1e9))
        let bound = NIOLoopBound((self, channelContext), eventLoop: channelContext.eventLoop)
        nextBroadcast = channelContext.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, channelContext) = bound.value
            handler.broadcast(channelContext)
        }
    }

    private func broadcast(_ channelContext: ChannelHandlerContext) {
        guard channelContext.channel.isActive else { return }
        let elapsed = Double((NIODeadline.now() - connectedAt).nanoseconds) / 1e9
        let names = schedule.take(at: elapsed)
        let now = context.now
        let sentences = context.bms.withLockedValue { $0.broadcast(names, now: now) }
        write(sentences, channelContext)
        scheduleBroadcast(channelContext)
    }
}
