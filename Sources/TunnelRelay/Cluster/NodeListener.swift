import NIOCore
import NIOPosix
import NIOSSL
import TunnelTransport

/// The node listener (`--node-listen`): where the other relay nodes of a cluster open links to
/// this one. Mutual TLS under the cluster's server CA (`NodeTLS`), then the tunnel's framing;
/// each link is a `RelayConnectionHandler` that takes only the node roles. It belongs on the
/// network between the nodes, never behind the public balancer.
enum NodeListener {
    static func bind(
        host: String, port: Int, group: any EventLoopGroup, tls: NIOSSLContext, relay: RelayContext,
        keepalive: KeepaliveHandler.Configuration
    ) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOSSLServerHandler(context: tls))
                    try sync.addTunnelCodec(keepalive: keepalive)
                    try sync.addHandler(RelayConnectionHandler(relay: relay, listener: .nodes))
                }
            }
            .bind(host: host, port: port)
            .get()
    }
}
