import AgentConfig
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SerialIO
import SharedWire

/// The BMS serial port of `serial.device`: opened when its first user (a session, or the
/// acquisition) asks for it, shared through one `SerialPortHub` while anybody uses it, and
/// released when the last one leaves or the device goes away.
public final class SerialLine: Sendable {
    /// The port's settings from `settings.json`.
    public let settings: AgentSettings.Serial
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    private struct State {
        var hub: SerialPortHub?
        var opening: EventLoopFuture<SerialPortHub>?
    }

    public init(settings: AgentSettings.Serial, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    /// The line's own parameters: `serial.speed`, 8 data bits, no parity, one stop bit.
    var defaultParameters: SerialParameters {
        var parameters = SerialParameters()
        parameters.baudRate = settings.speed
        return parameters
    }

    /// The open port, or the port being opened, or a new one opened on `eventLoop` with
    /// `parameters` (a zero speed takes `serial.speed`).
    func hub(on eventLoop: any EventLoop, parameters: SerialParameters) -> EventLoopFuture<SerialPortHub> {
        let existing = state.withLockedValue { state -> EventLoopFuture<SerialPortHub>? in
            if let hub = state.hub { return hub.eventLoop.makeSucceededFuture(hub) }
            return state.opening
        }
        if let existing { return existing.hop(to: eventLoop) }
        var parameters = parameters
        if parameters.baudRate == 0 { parameters.baudRate = settings.speed }
        let port: SerialPort
        let descriptor: CInt
        do {
            port = try SerialPort(path: settings.device, parameters: parameters)
            descriptor = try port.takeDescriptor()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        let hub = SerialPortHub(port: port, eventLoop: eventLoop, logger: logger)
        hub.finished.whenSuccess { [self] reason in
            let wasCurrent = state.withLockedValue { state -> Bool in
                guard state.hub === hub else { return false }
                state.hub = nil
                return true
            }
            if wasCurrent {
                port.close()
                logger.info("Serial port released", metadata: ["serial.device": "\(settings.device)", "reason": "\(reason)"])
            }
        }
        let opening = NIOPipeBootstrap(group: eventLoop)
            .channelOption(ChannelOptions.autoRead, value: false)
            // A tty hands over at most about 4 KiB per read; more reads per wake-up make
            // bigger frames under bulk load at no cost to latency.
            .channelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(hub.makeSerialHandler()) }
            }
            .takingOwnershipOfDescriptor(inputOutput: descriptor)
            .map { _ in hub }
        state.withLockedValue { $0.opening = opening }
        opening.whenComplete { [self] result in
            state.withLockedValue { state in
                state.opening = nil
                if case .success = result { state.hub = hub }
            }
            if case .failure = result { port.close() }
        }
        return opening
    }
}
