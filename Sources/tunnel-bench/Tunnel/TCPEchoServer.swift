import NIOCore
import NIOPosix

/// A loopback TCP echo server with `TCP_NODELAY`: the far end of the direct-TCP baseline.
final class TCPEchoServer: Sendable {
    let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Listens on a free port of 127.0.0.1.
    static func start(on group: any EventLoopGroup) async throws -> TCPEchoServer {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(EchoHandler()) }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return TCPEchoServer(channel: channel)
    }

    /// Dials the server from `group` with `TCP_NODELAY`, as a client with an empty pipeline.
    func connect(from group: any EventLoopGroup) async throws -> any Channel {
        try await ClientBootstrap(group: group)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .connect(to: channel.localAddress!)
            .get()
    }

    func stop() async {
        try? await channel.close()
    }
}
