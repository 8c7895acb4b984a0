import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SerialIO
import ServiceLifecycle
import SharedWire

#if canImport(Glibc)
    import Glibc
#endif

/// Serves the simulated BMS until shutdown: G1 on a PTY, a TCP port or stdio, optionally
/// slcan CAN on a second PTY, and moves the pack on in (simulated) time.
public final class SimulatorServer: Service, Sendable {
    /// Where the simulator serves G1.
    public enum Endpoint: Sendable {
        /// A new PTY, its slave path optionally symlinked at `link`.
        case pty(link: String?)
        /// A TCP port; every connection talks to the same BMS.
        case tcp(host: String, port: Int)
        /// Standard input and output (the process ends when input ends).
        case stdio
    }

    /// Where the simulator ended up serving.
    public struct Listening: Sendable {
        /// The G1 place: a PTY path (`link -> /dev/pts/N`), `tcp://host:port` or `stdio`.
        public let g1: String
        /// The slcan PTY, when there is one.
        public let can: String?
    }

    /// How often the pack is stepped between requests, so flags and logs keep time.
    static let tickInterval = TimeAmount.milliseconds(250)

    public let configuration: SimulatorConfiguration
    public var endpoint: Endpoint { configuration.endpoint }
    private let logger: Logger
    private let ready: @Sendable (Listening) -> Void

    public init(configuration: SimulatorConfiguration, logger: Logger, ready: @escaping @Sendable (Listening) -> Void) {
        self.configuration = configuration
        self.logger = logger
        self.ready = ready
    }

    /// The first simulator's interface: every broadcast sentence at `broadcastPeriod` (nil: none).
    public convenience init(
        endpoint: Endpoint, pack: SimulatedPack, broadcastPeriod: TimeAmount?, logger: Logger,
        ready: @escaping @Sendable (String) -> Void
    ) {
        let seconds = broadcastPeriod.map { Double($0.nanoseconds) / 1e9 } ?? 0
        self.init(
            configuration: SimulatorConfiguration(
                endpoint: endpoint, pack: pack, broadcastPeriods: SimulatorConfiguration.broadcastPeriods(every: seconds)),
            logger: logger, ready: { ready($0.g1) })
    }

    public func run() async throws {
        let journal = try configuration.journalPath.map { try SimulatorJournal(path: $0) }
        let context = SimulatorContext(configuration: configuration, journal: journal, logger: logger)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var terminals: [PseudoTerminal] = []
        var channels: [any Channel] = []
        do {
            let (g1Channel, g1Place, g1Terminal) = try await serveG1(context: context, group: group)
            channels.append(g1Channel)
            terminals += [g1Terminal].compactMap { $0 }
            var canPlace: String?
            if let can = configuration.can {
                let (channel, place, terminal) = try await serveCAN(can, context: context, group: group)
                channels.append(channel)
                terminals.append(terminal)
                canPlace = place
            }
            ready(Listening(g1: g1Place, can: canPlace))
            let ticker = group.next().scheduleRepeatedTask(initialDelay: Self.tickInterval, delay: Self.tickInterval) { _ in
                context.tick()
            }
            await withGracefulShutdownHandler {
                try? await g1Channel.closeFuture.get()
            } onGracefulShutdown: {
                g1Channel.close(promise: nil)
            }
            ticker.cancel()
        } catch {
            logger.error("Simulator could not start", metadata: ["error": "\(error)"])
            for channel in channels { try? await channel.close() }
            for terminal in terminals { terminal.close() }
            try? await group.shutdownGracefully()
            throw error
        }
        for channel in channels { try? await channel.close() }
        for terminal in terminals { terminal.close() }
        try await group.shutdownGracefully()
    }

    private func serveG1(
        context: SimulatorContext, group: any EventLoopGroup
    ) async throws -> (any Channel, String, PseudoTerminal?) {
        let streams = NIOLockedValueBox<UInt64>(0)
        let initialize: @Sendable (any Channel) -> EventLoopFuture<Void> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ReceivedLineDecoder()))
                try channel.pipeline.syncOperations.addHandler(
                    G1Responder(
                        context: context,
                        stream: streams.withLockedValue {
                            $0 += 1
                            return $0
                        }))
            }
        }
        switch configuration.endpoint {
        case .pty(let link):
            let terminal = try PseudoTerminal()
            if let link { try terminal.link(at: link) }
            let channel = try await NIOPipeBootstrap(group: group).channelInitializer(initialize)
                .takingOwnershipOfDescriptor(inputOutput: try terminal.takeMasterDescriptor()).get()
            return (channel, link.map { "\($0) -> \(terminal.slavePath)" } ?? terminal.slavePath, terminal)
        case .tcp(let host, let port):
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
                .childChannelInitializer(initialize)
                .bind(host: host, port: port).get()
            return (channel, "tcp://\(host):\(channel.localAddress?.port ?? port)", nil)
        case .stdio:
            let channel = try await NIOPipeBootstrap(group: group).channelInitializer(initialize)
                .takingOwnershipOfDescriptors(input: dup(0), output: dup(1)).get()
            return (channel, "stdio", nil)
        }
    }

    private func serveCAN(
        _ can: SimulatorConfiguration.CANPort, context: SimulatorContext, group: any EventLoopGroup
    ) async throws -> (any Channel, String, PseudoTerminal) {
        let builder = try G1CANMessageBuilder(base: can.base)
        let terminal = try PseudoTerminal()
        if let link = can.link { try terminal.link(at: link) }
        let channel = try await NIOPipeBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SLCANDecoder()))
                    try channel.pipeline.syncOperations.addHandler(SLCANResponder(context: context, builder: builder, period: can.period))
                }
            }
            .takingOwnershipOfDescriptor(inputOutput: try terminal.takeMasterDescriptor()).get()
        return (channel, can.link.map { "\($0) -> \(terminal.slavePath)" } ?? terminal.slavePath, terminal)
    }
}
