import NIOCore

/// The whole conversation with a client turned away because the endpoint already has one:
/// one line saying so, then the close. The line goes out before the FIN (output closed
/// first), and what the client sent meanwhile is read and dropped, so that the close is not
/// a reset that could destroy the line before the client reads it.
final class BusyClientRefusal: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// How long the client has to read the line and close its side before it is closed anyway.
    static let lingerTime: TimeAmount = .seconds(2)

    private let occupant: SocketAddress?

    init(occupant: SocketAddress?) {
        self.occupant = occupant
    }

    /// The line the client reads: for a raw TCP client, its terminal shows it; for an RFC 2217
    /// client it arrives as serial data before the close.
    var line: String {
        let holder = occupant.map { " (\($0))" } ?? ""
        return "tunnel-connect: this session already has a client\(holder); one client at a time\r\n"
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(string: line))).whenComplete { _ in
            channel.close(mode: .output, promise: nil)
        }
        context.eventLoop.scheduleTask(in: Self.lingerTime) { channel.close(promise: nil) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
