import Logging
import NIOCore
import ServiceLifecycle
import SharedWire

/// Keeps the BMS serial line open for as long as the agent runs and polls it (`G1Poller`).
/// A port that cannot be opened, or that goes away (adapter unplugged, PTY closed), is tried
/// again with backoff and reported; the agent never stops for it.
public final class SerialAcquisition: Service, Sendable {
    private let line: SerialLine
    private let params: ActiveParamsConfig
    private let sink: TelemetrySink
    private let facts: AgentFacts
    private let eventLoop: any EventLoop
    private let retryMax: Double
    private let logger: Logger

    public init(
        line: SerialLine, params: ActiveParamsConfig, sink: TelemetrySink, facts: AgentFacts, eventLoop: any EventLoop,
        retryMax: Double = 30, logger: Logger
    ) {
        self.line = line
        self.params = params
        self.sink = sink
        self.facts = facts
        self.eventLoop = eventLoop
        self.retryMax = retryMax
        self.logger = logger
    }

    public func run() async throws {
        let watch = DeviceWatch(
            name: "serial port", metadata: ["serial.device": "\(line.settings.device)"], retryMax: retryMax, logger: logger)
        await watch.run(open: { try await line.hub(on: eventLoop, parameters: line.defaultParameters).get() }, use: poll)
    }

    /// Polls `hub` until it goes away (the reason) or shutdown.
    private func poll(_ hub: SerialPortHub) async -> String {
        let poller = try? await hub.eventLoop.submit { [self] in
            let poller = G1Poller(
                hub: hub, params: params, sink: sink, facts: facts, lineParameters: line.defaultParameters, logger: logger)
            poller.start()
            return NIOLoopBound(poller, eventLoop: hub.eventLoop)
        }.get()
        logger.info("Acquisition started", metadata: ["serial.device": "\(line.settings.device)"])
        let reason = await withGracefulShutdownHandler {
            (try? await hub.finished.get()) ?? "the serial port closed"
        } onGracefulShutdown: {
            hub.eventLoop.execute { poller?.value.stop() }
        }
        hub.eventLoop.execute { poller?.value.stop() }
        return reason
    }
}
