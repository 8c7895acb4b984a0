import Logging
import NIOCore
import ServiceLifecycle
import SharedWire
import TunnelPlumbing

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
        var backoff = ReconnectBackoff(initial: 0.5, maximum: retryMax)
        var failures = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let hub = try await line.hub(on: eventLoop, parameters: line.defaultParameters).get()
                if failures > 0 { logger.notice("Serial port available again", metadata: ["serial.device": "\(line.settings.device)"]) }
                failures = 0
                backoff.reset()
                let reason = await poll(hub)
                if Task.isShuttingDownGracefully || Task.isCancelled { break }
                logger.warning("Serial port lost", metadata: ["serial.device": "\(line.settings.device)", "reason": "\(reason)"])
            } catch {
                failures += 1
                // Once per outage at warning level; the retries after it at debug.
                logger.log(
                    level: failures == 1 ? .warning : .debug, "Serial port unavailable",
                    metadata: ["serial.device": "\(line.settings.device)", "error": "\(error)", "attempt": "\(failures)"])
            }
            let delay = backoff.nextDelay(jitter: Double.random(in: 0...1))
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int(delay * 1000))) }
        }
    }

    /// Polls `hub` until it goes away (the reason) or shutdown.
    private func poll(_ hub: SerialPortHub) async -> String {
        let poller = try? await hub.eventLoop.submit { [self] in
            let poller = G1Poller(hub: hub, params: params, sink: sink, facts: facts, lineParameters: line.defaultParameters, logger: logger)
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
