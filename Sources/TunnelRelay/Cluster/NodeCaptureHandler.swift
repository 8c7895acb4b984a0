import NIOCore
import SharedWire

/// The reading end of a `nodeCapture` link: the capture file's bytes as the other node sends
/// them, ended by an empty `CAPTURE_DATA` frame; a link that closes before it ends the stream
/// with an error.
final class NodeCaptureHandler: ChannelInboundHandler {
    typealias InboundIn = TunnelMessage

    private let chunks: AsyncThrowingStream<ByteBuffer, any Error>.Continuation
    private var complete = false

    init(chunks: AsyncThrowingStream<ByteBuffer, any Error>.Continuation) {
        self.chunks = chunks
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .captureData(let bytes) = unwrapInboundIn(data), !complete else { return }
        if bytes.readableBytes == 0 {
            complete = true
            chunks.finish()
        } else {
            chunks.yield(bytes)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !complete {
            chunks.finish(throwing: TunnelProtocolError(.peerClosed, "the node holding the capture closed the link before its end"))
        }
        context.fireChannelInactive()
    }
}
