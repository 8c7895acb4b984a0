import NIOCore
import NIOPosix
import NIOSSL
import SharedWire
import TunnelHarness

/// A TLS connection to the relay that writes whatever bytes a test gives it and decodes what
/// comes back: for hostile-input tests.
final class RawConnection: Sendable {
    let channel: any Channel
    /// Everything the relay sent, `WELCOME` included.
    let messages: MessageCollector

    private init(channel: any Channel, messages: MessageCollector) {
        self.channel = channel
        self.messages = messages
    }

    static func open(to deployment: LocalDeployment, tls: NIOSSLContext) async throws -> RawConnection {
        let collector = MessageCollector()
        let channel = try await ClientBootstrap(group: deployment.clientGroup)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(TunnelMessageDecoder()))
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: deployment.relayAddress.host, port: deployment.relayAddress.port).get()
        return RawConnection(channel: channel, messages: collector)
    }

    /// Stops reading from the socket, with the smallest receive buffer the kernel allows, so
    /// that whatever the relay sends from now on stays unsent on its side.
    func stopReading() async throws {
        try await channel.setOption(.socketOption(.so_rcvbuf), value: 1)
        try await channel.setOption(ChannelOptions.autoRead, value: false).get()
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    func send(_ message: TunnelMessage) async throws {
        try await send([message])
    }

    /// Writes `messages` as one write.
    func send(_ messages: [TunnelMessage]) async throws {
        var buffer = ByteBuffer()
        for message in messages { message.write(to: &buffer) }
        try await channel.writeAndFlush(buffer)
    }
}
