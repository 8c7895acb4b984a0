import Logging
import NIOCore
import SharedWire

/// Plumbing of one RFC 2217 client connection: Telnet events in, the state machine's actions
/// out. It sits between the Telnet decoder and the serial bridge's local handler: the
/// client's data goes on to the bridge as plain bytes, and bytes from the bridge go to the
/// client with 0xFF doubled.
final class ComPortServerHandler: ChannelDuplexHandler {
    typealias InboundIn = TelnetEvent
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Most bytes held for a client that sent FLOWCONTROL-SUSPEND. The tunnel keeps
    /// delivering meanwhile; past this (a few seconds of a 57600-baud line many times over)
    /// the client has stalled and the bytes go out anyway, with a warning.
    static let maxHeldWhileSuspended = 64 * 1024

    private var machine: ComPortServerStateMachine
    private let link: SerialControlLink
    private var logger: Logger
    private let onClosed: (ComPortSettings) -> Void
    private var context: ChannelHandlerContext?
    private var suspended = false
    private var held: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    private var heldBytes = 0

    /// `settings` is what the previous connection of the session learnt; `onClosed` gets
    /// what this one learnt when it closes (before the endpoint accepts the next client).
    init(
        settings: ComPortSettings, link: SerialControlLink, logger: Logger,
        onClosed: @escaping (ComPortSettings) -> Void
    ) {
        self.machine = ComPortServerStateMachine(settings: settings)
        self.link = link
        self.logger = logger
        self.onClosed = onClosed
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if let remote = context.remoteAddress { logger[metadataKey: "client"] = "\(remote)" }
        link.stateListener = { [weak self] state in
            guard let self, let context = self.context else { return }
            self.perform(self.machine.tunnelReported(state), context: context)
        }
        if context.channel.isActive { start(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Answers still owed to this client have nowhere to go: `answered` drops them.
        self.context = nil
        onClosed(machine.settings)
        context.fireChannelInactive()
    }

    private func start(context: ChannelHandlerContext) {
        perform(machine.start(), context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        perform(machine.receive(unwrapInboundIn(data)), context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.notice("RFC 2217 client sent bad input; closing its connection", metadata: ["error": "\(error)"])
        context.fireErrorCaught(error)
    }

    /// Bytes from the tunnel for the client: 0xFF doubled, held while the client suspended us.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var bytes = unwrapOutboundIn(data)
        if bytes.readableBytesView.contains(Telnet.iac) {
            var escaped = context.channel.allocator.buffer(capacity: bytes.readableBytes + 16)
            escaped.writeTelnetData(bytes)
            bytes = escaped
        }
        guard suspended else { return context.write(wrapOutboundOut(bytes), promise: promise) }
        held.append((bytes, promise))
        heldBytes += bytes.readableBytes
        if heldBytes > Self.maxHeldWhileSuspended {
            logger.warning("RFC 2217 client stayed suspended too long; sending its data anyway", metadata: ["held.bytes": "\(heldBytes)"])
            resume(context: context)
        }
    }

    func flush(context: ChannelHandlerContext) {
        if !suspended { context.flush() }
    }

    /// The agent's result for the oldest operation this connection sent.
    private func answered(_ result: SerialControlResult) {
        guard let context else { return }  // the client left; its answer has nowhere to go
        perform(machine.tunnelAnswered(result), context: context)
    }

    private func perform(_ actions: [ComPortServerStateMachine.Action], context: ChannelHandlerContext) {
        var wrote = false
        for action in actions {
            switch action {
            case .sendNegotiation(let verb, let option):
                var buffer = context.channel.allocator.buffer(capacity: 3)
                buffer.writeTelnetNegotiation(verb, option)
                context.write(wrapOutboundOut(buffer), promise: nil)
                wrote = true
            case .sendAnswer(let answer):
                var buffer = context.channel.allocator.buffer(capacity: 16)
                buffer.writeComPortAnswer(answer)
                context.write(wrapOutboundOut(buffer), promise: nil)
                wrote = true
            case .forwardData(let bytes):
                context.fireChannelRead(wrapInboundOut(bytes))
            case .sendControl(let control):
                // The bridge sends the bytes it has read on read-complete: let it, so the
                // operation follows the data the client sent before it.
                context.fireChannelReadComplete()
                link.send(control) { [weak self] result in self?.answered(result) }
            case .suspendOutput:
                suspended = true
            case .resumeOutput:
                resume(context: context)
            case .log(let note):
                log(note)
            }
        }
        if wrote { context.flush() }
    }

    private func resume(context: ChannelHandlerContext) {
        suspended = false
        let released = held
        held = []
        heldBytes = 0
        for (bytes, promise) in released { context.write(wrapOutboundOut(bytes), promise: promise) }
        context.flush()
    }

    private func log(_ note: ComPortServerStateMachine.Note) {
        switch note {
        case .virtualLine(let operation):
            logger.notice(
                "The serial port has no such line (a virtual port): answering with the state asked for",
                metadata: ["operation": "\(operation)"])
        case .notApplied(let result):
            logger.notice(
                "The serial port did not take a setting; answered with the value in effect",
                metadata: ["operation": "\(result.operation)", "value": "\(result.value)", "status": "\(result.status)"])
        case .clientSignature(let text):
            logger.info("RFC 2217 client signature", metadata: ["signature": "\(text)"])
        case .optionRefused(let verb, let option):
            logger.info("Telnet option refused", metadata: ["verb": "\(verb)", "option": "\(option)"])
        case .ignoredCommand(let command):
            logger.info("Ignoring Telnet command", metadata: ["command": "\(command)"])
        case .ignoredSubnegotiation(let option):
            logger.info("Ignoring Telnet subnegotiation", metadata: ["option": "\(option)"])
        case .ignoredRequest(let request, let reason):
            logger.info("Ignoring COM-PORT-OPTION request", metadata: ["request": "\(request)", "reason": "\(reason)"])
        case .malformedRequest(let error):
            logger.info("Ignoring unreadable COM-PORT-OPTION command", metadata: ["error": "\(error)"])
        case .unexpectedResult(let result):
            logger.warning("Serial control result matches no waiting request", metadata: ["result": "\(result)"])
        case .tooManyWaiting:
            logger.warning(
                "Ignoring COM-PORT-OPTION request: too many answers waiting",
                metadata: ["limit": "\(ComPortServerStateMachine.maxPendingAnswers)"])
        }
    }
}
