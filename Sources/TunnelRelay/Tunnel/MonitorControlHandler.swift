import Foundation
import Logging
import NIOCore
import SharedWire
import TunnelTransport

/// Holds `MonitorControlGate` on a monitor client's connection, just before its
/// `RelayConnectionHandler`: the client's `SERIAL_CONTROL` that would change the line is
/// answered here, refused, and never reaches the agent; `queryState` goes on; the agent's
/// answers on their way out to the client are put back in request order.
final class MonitorControlHandler: ChannelDuplexHandler {
    typealias InboundIn = TunnelMessage
    typealias InboundOut = TunnelMessage
    typealias OutboundIn = TunnelMessage
    typealias OutboundOut = TunnelMessage

    private var gate = MonitorControlGate()
    /// Told of every refused operation (to log and audit it).
    private let refused: (SerialControl) -> Void

    init(refused: @escaping (SerialControl) -> Void) {
        self.refused = refused
    }

    /// The handler for `session`'s client: logs every refusal, audits the first.
    convenience init(session: SessionRecord, source: String?, store: any RelayStore, writes: StoreWrites, logger: Logger) {
        var audited = false
        self.init { control in
            logger.notice("Monitor serial control refused", metadata: ["operation": "\(control.operation)"])
            guard !audited else { return }
            audited = true
            let entry = AuditEntry(
                at: Date(), event: .serialControlRefused, actor: "client", userID: session.createdBy,
                deviceID: session.deviceID, sessionID: session.id, mode: session.mode,
                reason: "\(control.operation) refused: a monitor session is read-only", source: source)
            writes.enqueue(key: "session:\(session.id)", "Audit write") { try await store.appendAudit(entry) }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .serialControl(let control) = unwrapInboundIn(data) else { return context.fireChannelRead(data) }
        switch gate.fromClient(control) {
        case .forward:
            context.fireChannelRead(data)
        case .answer(let results):
            refused(control)
            for result in results {
                guard context.reply(.serialControlResult(result)) else { return }
            }
        case .tooManyPending:
            context.closeWithGoingAway(
                .limitReached, "more than \(MonitorControlGate.maxPending) serial control requests unanswered")
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .serialControlResult(let result) = unwrapOutboundIn(data) else {
            return context.write(data, promise: promise)
        }
        let answers = gate.fromAgent(result)
        for (index, answer) in answers.enumerated() {
            context.write(wrapOutboundOut(.serialControlResult(answer)), promise: index == answers.count - 1 ? promise : nil)
        }
    }
}
