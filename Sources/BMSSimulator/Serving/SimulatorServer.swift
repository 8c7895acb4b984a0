import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import SharedWire
import TunnelPlumbing

/// Serves the simulated BMS on a PTY or a TCP port until shutdown, and moves the pack on.
public final class SimulatorServer: Service, Sendable {
    /// Where the simulator listens.
    public enum Endpoint: Sendable {
        /// A new PTY, its slave path optionally symlinked at `link`.
        case pty(link: String?)
        /// A TCP port.
        case tcp(host: String, port: Int)
    }

    public let endpoint: Endpoint
    private let pack: NIOLockedValueBox<SimulatedPack>
    private let broadcastPeriod: TimeAmount?
    private let logger: Logger
    private let ready: @Sendable (String) -> Void

    public init(
        endpoint: Endpoint, pack: SimulatedPack, broadcastPeriod: TimeAmount?, logger: Logger,
        ready: @escaping @Sendable (String) -> Void
    ) {
        self.endpoint = endpoint
        self.pack = NIOLockedValueBox(pack)
        self.broadcastPeriod = broadcastPeriod
        self.logger = logger
        self.ready = ready
    }

    public func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pack = self.pack
        let period = broadcastPeriod
        let logger = self.logger
        let initialize: @Sendable (any Channel) -> EventLoopFuture<Void> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(G1LineDecoder()))
                try channel.pipeline.syncOperations.addHandler(G1Responder(pack: pack, broadcastPeriod: period, logger: logger))
            }
        }
        var pty: PseudoTerminal?
        let channel: any Channel
        switch endpoint {
        case .pty(let link):
            let terminal = try PseudoTerminal()
            if let link { try terminal.link(at: link) }
            pty = terminal
            channel = try await NIOPipeBootstrap(group: group).channelInitializer(initialize)
                .takingOwnershipOfDescriptor(inputOutput: try terminal.takeMasterDescriptor()).get()
            ready(link.map { "\($0) -> \(terminal.slavePath)" } ?? terminal.slavePath)
        case .tcp(let host, let port):
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
                .childChannelInitializer(initialize)
                .bind(host: host, port: port).get()
            ready("tcp://\(host):\(channel.localAddress?.port ?? port)")
        }
        let ticker = group.next().scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            pack.withLockedValue { $0.advance(seconds: 1) }
        }
        await withGracefulShutdownHandler {
            try? await channel.closeFuture.get()
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
        ticker.cancel()
        pty?.close()
        try await group.shutdownGracefully()
    }
}
