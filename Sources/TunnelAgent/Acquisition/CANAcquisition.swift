import AgentConfig
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SharedWire

/// Reads the BMS's CAN bus for as long as the agent runs (`can.enabled`): frames the
/// configuration names become telemetry. A bus that cannot be opened or goes away is tried
/// again with backoff and reported; the agent never stops for it. The G1 CAN messages are
/// broadcast by the BMS, so nothing is requested.
public final class CANAcquisition: Service, Sendable {
    private let settings: AgentSettings.CAN
    private let params: ActiveParamsConfig
    private let sink: TelemetrySink
    private let eventLoop: any EventLoop
    private let retryMax: Double
    private let logger: Logger

    public init(
        settings: AgentSettings.CAN, params: ActiveParamsConfig, sink: TelemetrySink, eventLoop: any EventLoop, retryMax: Double = 30,
        logger: Logger
    ) {
        self.settings = settings
        self.params = params
        self.sink = sink
        self.eventLoop = eventLoop
        self.retryMax = retryMax
        self.logger = logger
    }

    public func run() async throws {
        let bus: CANBus
        do {
            bus = try CANBus(settings)
        } catch {
            logger.error("CAN acquisition off", metadata: ["error": "\(error)"])
            return
        }
        let watch = DeviceWatch(name: "CAN bus", metadata: ["can.bus": "\(bus)"], retryMax: retryMax, logger: logger)
        await watch.run(open: { try await open(bus) }) { channel in
            logger.info("CAN acquisition started", metadata: ["can.bus": "\(bus)"])
            await withGracefulShutdownHandler {
                try? await channel.closeFuture.get()
            } onGracefulShutdown: {
                channel.close(promise: nil)
            }
            return "the bus closed"
        }
    }

    private func open(_ bus: CANBus) async throws -> any Channel {
        let (descriptor, setup) = try bus.open()
        let (params, sink, logger) = (self.params, self.sink, self.logger)
        let channel = try await NIOPipeBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(CANFrameReader(bus: bus, params: params, sink: sink, logger: logger))
                }
            }
            .takingOwnershipOfDescriptor(inputOutput: descriptor).get()
        if let setup { try await channel.writeAndFlush(setup) }
        return channel
    }
}
