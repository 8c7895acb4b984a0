import CoreMetrics
import Logging
import NIOCore
import SharedWire

/// The first handler of a connection to a listener behind a load balancer: reads the PROXY
/// protocol version 2 header the connection starts with, records the client's address it
/// names (`ClientAddresses`), then hands the connection on and leaves the pipeline.
///
/// The handlers after it see the connection start (`channelActive`) only once the header is
/// read, so the source gate, TLS and the log lines all meet the client's address; the bytes
/// that came with the header are passed on as they arrived. A connection whose first bytes
/// are not a header, from a peer that is not an allowed balancer, or without a whole header
/// within `timeout` is closed, logged with the reason and counted. At most one header
/// (`ProxyProtocolLimits.maxHeaderLength`) is ever buffered.
final class ProxyHeaderHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Which listener, for the log lines: `tunnel` or `admin`.
    private let listener: String
    private let configuration: ProxyProtocolConfiguration
    private let timeout: TimeAmount
    private let refusals: CoreMetrics.Counter
    private let logger: Logger
    private var received: ByteBuffer?
    private var timer: Scheduled<Void>?
    /// The connection started before the header was read; the next handlers learn of it after.
    private var startHeld = false
    private var state = State.waiting

    private enum State {
        /// For the whole header.
        case waiting
        /// The header was read; what follows belongs to the next handlers.
        case accepted
        /// The connection is being closed; nothing it sent goes further.
        case refused
    }

    init(listener: String, configuration: ProxyProtocolConfiguration, timeout: TimeAmount, refusals: CoreMetrics.Counter, logger: Logger) {
        self.listener = listener
        self.configuration = configuration
        self.timeout = timeout
        self.refusals = refusals
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let seconds = timeout.nanoseconds / 1_000_000_000
        timer = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = loopBound.value
            handler.refuse(context, "no whole PROXY protocol v2 header within \(seconds) s")
        }
        if context.channel.isActive { started(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        started(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .waiting: break
        case .accepted: return context.fireChannelRead(data)
        case .refused: return
        }
        var bytes = unwrapInboundIn(data)
        received.setOrWriteBuffer(&bytes)
        do {
            guard let header = try received!.readProxyHeader() else { return }
            accept(context, header)
        } catch {
            refuse(context, "\(error)")
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Until the header is read the next handlers have seen no connection, so no read either.
        if state == .accepted { context.fireChannelReadComplete() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    /// The connection is up: a peer that is not an allowed balancer is refused before it sends.
    /// One without a peer address was reset before it was accepted (HAProxy ends its TCP
    /// health checks so): it is closed without a word, as there is no one to refuse.
    private func started(_ context: ChannelHandlerContext) {
        guard state == .waiting, !startHeld else { return }
        startHeld = true
        guard let peer = context.channel.remoteAddress else {
            state = .refused
            timer?.cancel()
            logger.debug("Connection reset before it was read", metadata: ["listener": "\(listener)"])
            context.close(promise: nil)
            return
        }
        if !configuration.allows(peer) {
            refuse(context, "the peer is not an allowed balancer (--proxy-protocol-from)")
        }
    }

    /// The header is read: record the address, start the connection for the next handlers,
    /// give them what came after the header, and leave.
    private func accept(_ context: ChannelHandlerContext, _ header: ProxyHeader) {
        state = .accepted
        timer?.cancel()
        if let client = header.clientAddress { ClientAddresses.shared.record(client, for: context.channel) }
        logger.debug(
            "PROXY protocol header read",
            metadata: [
                "listener": "\(listener)", "balancer": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")",
                "peer": "\(context.channel.clientAddress.map { "\($0)" } ?? "?")",
            ])
        if startHeld { context.fireChannelActive() }
        if let rest = received, rest.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(rest))
            context.fireChannelReadComplete()
        }
        received = nil
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Closes a connection that did not start with a header this listener takes.
    private func refuse(_ context: ChannelHandlerContext, _ reason: String) {
        guard state == .waiting else { return }
        state = .refused
        timer?.cancel()
        received = nil
        refusals.increment()
        logger.notice(
            "Connection refused: no valid PROXY protocol header",
            metadata: [
                "listener": "\(listener)", "peer": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")", "reason": "\(reason)",
            ])
        context.close(promise: nil)
    }
}
