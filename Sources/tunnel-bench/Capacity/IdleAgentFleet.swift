import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import SharedWire
import TunnelTransport

/// Idle agents by the thousand: real mutual-TLS control connections, each with its own
/// registered device and certificate from the relay's device CA, saying `HELLO` as
/// `agentControl` and then only answering keepalive pings, as an agent with no session does.
/// Connections come from many loopback source addresses (127.1.x.y), because the relay
/// admits at most `maxConnectionsPerSource` connections per address.
final class IdleAgentFleet: Sendable {
    /// Agents per loopback source address, below the relay's per-source limit (1,024).
    static let agentsPerSource = 500

    private let relay: RelayProcess
    private let group: MultiThreadedEventLoopGroup
    private let channels = NIOLockedValueBox<[any Channel]>([])
    private let contexts = NIOLockedValueBox<[NIOSSLContext]>([])

    init(relay: RelayProcess, threads: Int) {
        self.relay = relay
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    var connected: Int { channels.withLockedValue { $0.count } }
    var registered: Int { contexts.withLockedValue { $0.count } }

    /// Registers devices until `count` exist, each with its own certificate.
    func register(upTo count: Int) async throws {
        while registered < count {
            let context = try await relay.register(deviceID: String(format: "idle-%05d", registered))
            contexts.withLockedValue { $0.append(context) }
        }
    }

    /// Connects agents until `count` are connected, `concurrency` handshakes in flight at a
    /// time; returns how many connected in this call and how long that took. Stops at the
    /// first failure and throws it with the count reached.
    func connect(upTo count: Int, concurrency: Int) async throws -> (added: Int, elapsed: Duration) {
        let first = connected
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: (any Channel).self) { tasks in
            var next = first
            func launch() {
                let index = next
                next += 1
                tasks.addTask { try await self.dial(index: index) }
            }
            while next < min(count, first + concurrency) { launch() }
            while let channel = try await tasks.next() {
                channels.withLockedValue { $0.append(channel) }
                if next < count { launch() }
            }
        }
        return (connected - first, ContinuousClock.now - start)
    }

    private func dial(index: Int) async throws -> any Channel {
        let tls = contexts.withLockedValue { $0[index] }
        let loop = group.next()
        let welcome = loop.makePromise(of: TunnelMessage.Welcome.self)
        let source = index / Self.agentsPerSource
        let hello = TunnelMessage.Hello(role: .agentControl, software: "tunnel-bench/idle-agent")
        do {
            let channel = try await ClientBootstrap(group: loop)
                .connectTimeout(.seconds(30))
                .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
                .bind(to: try SocketAddress(ipAddress: "127.1.\(source / 250).\(source % 250 + 1)", port: 0))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: nil))
                        try sync.addTunnelCodec(keepalive: .init())
                        try sync.addHandler(HelloExchangeHandler(hello: hello, welcome: welcome))
                    }
                }
                .connect(host: relay.address.host, port: relay.address.port)
                .get()
            _ = try await welcome.futureResult.get()
            return channel
        } catch {
            welcome.fail(error)
            throw FleetFailure(agent: index, cause: error)
        }
    }

    /// Closes every agent connection.
    func stop() async {
        let all = channels.withLockedValue { channels in
            defer { channels.removeAll() }
            return channels
        }
        for channel in all { channel.close(promise: nil) }
        for channel in all { try? await channel.closeFuture.get() }
        try? await group.shutdownGracefully()
    }
}

/// An idle agent could not connect: which one, and why.
struct FleetFailure: Error, CustomStringConvertible {
    let agent: Int
    let cause: any Error
    var description: String { "idle agent \(agent) did not connect: \(cause)" }
}
