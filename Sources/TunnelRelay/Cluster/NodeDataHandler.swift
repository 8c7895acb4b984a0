import NIOCore
import SharedWire
import TunnelTransport

/// On the node an agent's data connection reached, the end of the link that carries it to the
/// session's client node: what that node sends (the client's frames, already filtered there
/// for a monitor session) goes to the agent, and the link's end ends the agent's connection.
///
/// The other direction is the agent connection's own `RelayConnectionHandler`, whose partner
/// is this link's channel. Only the frames a client may send on a session pass; anything else
/// means the other node is not speaking the protocol, and the session ends.
final class NodeDataHandler: ChannelInboundHandler {
    typealias InboundIn = TunnelMessage

    private let agent: any Channel
    private let metrics: RelayMetrics
    private var ended = false

    init(agent: any Channel, metrics: RelayMetrics) {
        self.agent = agent
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        switch message {
        case .serialData(let bytes):
            metrics.nodeBytesToAgent.increment(by: Int64(bytes.readableBytes))
            agent.write(message, promise: nil)
        case .serialControl:
            agent.write(message, promise: nil)
        case .goingAway(let reason):
            end(reason.code, reason.message.isEmpty ? reason.code.summary : reason.message)
            context.close(promise: nil)
        default:
            end(.unexpectedFrame, "the client's node sent \(message.frameType) on a session")
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        agent.flush()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        agent.setOption(ChannelOptions.autoRead, value: context.channel.isWritable).whenFailure { _ in }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        end(.peerClosed, "the link to the client's relay node closed")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        end(.peerClosed, "the link to the client's relay node failed: \(error)")
        context.close(promise: nil)
    }

    private func end(_ code: TunnelErrorCode, _ message: String) {
        guard !ended else { return }
        ended = true
        agent.closeWithGoingAway(code, message)
    }
}
