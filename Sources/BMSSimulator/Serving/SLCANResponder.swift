import NIOCore
import SharedWire

/// Plays an slcan adapter with the BMS behind it on one byte stream: answers adapter
/// commands through `SimulatedSLCANAdapter`, hands frames from the host to the BMS, and
/// while the channel is open sends the BMS's G1 CAN messages every period.
final class SLCANResponder: ChannelInboundHandler {
    typealias InboundIn = SLCANDecoder.Output
    typealias OutboundOut = ByteBuffer

    private let context: SimulatorContext
    private let builder: G1CANMessageBuilder
    private let period: TimeAmount
    private var adapter = SimulatedSLCANAdapter()
    private var periodic: RepeatedTask?

    init(context: SimulatorContext, builder: G1CANMessageBuilder, period: Double) {
        self.context = context
        self.builder = builder
        self.period = .nanoseconds(Int64(max(0.01, period) * 1e9))
    }

    func channelInactive(context channelContext: ChannelHandlerContext) {
        periodic?.cancel()
        channelContext.fireChannelInactive()
    }

    func channelRead(context channelContext: ChannelHandlerContext, data: NIOAny) {
        let input = unwrapInboundIn(data)
        let line = Self.text(of: input)
        // A silent BMS sends no frames; the adapter in front of it still answers its commands.
        let silent = context.isSilent
        let before = adapter.state
        let bms = context.bms
        let builder = self.builder
        let now = context.now
        var askedBMS = false
        let answers = adapter.receive(input) { frame in
            askedBMS = true
            guard !silent else { return [] }
            return bms.withLockedValue { bms in
                bms.advance(to: now)
                return bms.canAnswer(to: frame, builder)
            }
        }
        journal(line, input, outcome: silent && askedBMS ? "silenced" : Self.outcome(answers, changed: adapter.state != before))
        write(answers, channelContext)
        if adapter.isOpen, periodic == nil {
            startPeriodic(channelContext)
        } else if !adapter.isOpen {
            periodic?.cancel()
            periodic = nil
        }
    }

    private func startPeriodic(_ channelContext: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, channelContext), eventLoop: channelContext.eventLoop)
        periodic = channelContext.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
            let (handler, channelContext) = bound.value
            handler.sendPeriodic(channelContext)
        }
    }

    private func sendPeriodic(_ channelContext: ChannelHandlerContext) {
        guard adapter.isOpen, channelContext.channel.isActive, !context.isSilent else { return }
        let now = context.now
        let builder = self.builder
        let frames = context.bms.withLockedValue { bms in
            bms.advance(to: now)
            return bms.canFrames(builder)
        }
        write(frames.map(SLCANMessage.frame), channelContext)
    }

    private func write(_ messages: [SLCANMessage], _ channelContext: ChannelHandlerContext) {
        guard !messages.isEmpty else { return }
        var buffer = channelContext.channel.allocator.buffer(capacity: 32 * messages.count)
        for message in messages { buffer.writeSLCANMessage(message) }
        channelContext.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func journal(_ line: String, _ input: SLCANDecoder.Output, outcome: String) {
        var reason: String?
        if case .invalid(let error) = input { reason = "\(error)" }
        let valid = reason == nil
        context.journal?.record(
            port: "can", line: line, valid: valid, applied: outcome == "applied", outcome: valid ? outcome : "invalid", reason: reason)
    }

    /// applied: the adapter's state changed; answered: frames came back; refused: BELL;
    /// ignored: nothing but OK, or nothing at all.
    private static func outcome(_ answers: [SLCANMessage], changed: Bool) -> String {
        if changed { return "applied" }
        if answers.contains(.error) { return "refused" }
        if answers.contains(where: { if case .frame = $0 { return true } else { return false } }) { return "answered" }
        return "ignored"
    }

    /// The received line as text, without its terminator.
    private static func text(of input: SLCANDecoder.Output) -> String {
        switch input {
        case .message(let message):
            var buffer = ByteBuffer()
            buffer.writeSLCANMessage(message)
            return String(buffer.readString(length: buffer.readableBytes)!.dropLast())
        case .invalid(.malformed(let line, _)): return line
        case .invalid(.lineTooLong(let limit)): return "(more than \(limit) bytes without CR)"
        }
    }
}
