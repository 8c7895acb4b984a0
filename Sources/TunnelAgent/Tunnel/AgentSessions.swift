import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SharedWire
import TunnelPlumbing

/// The sessions an agent runs. The serial port opens with the first session and closes with
/// the last; in between it is shared (see `SerialPortHub`): one control session, any number
/// of monitors. Each session has its own data connection to the relay.
public final class AgentSessions: Sendable {
    private let serial: AgentSettings.Serial
    private let dialer: TunnelDialer
    private let software: String
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    private struct State {
        /// Session ID to its data connection, while it runs.
        var running: [String: any Channel] = [:]
        var hub: SerialPortHub?
        var hubOpening: EventLoopFuture<SerialPortHub>?
    }

    public init(serial: AgentSettings.Serial, dialer: TunnelDialer, software: String, logger: Logger) {
        self.serial = serial
        self.dialer = dialer
        self.software = software
        self.logger = logger
    }

    /// Number of sessions running now.
    public var count: Int { state.withLockedValue { $0.running.count } }

    /// Starts the session the relay asked for, or tells the relay why it cannot.
    func open(_ request: TunnelMessage.OpenSession, control: any Channel) {
        var sessionLogger = self.logger
        sessionLogger[metadataKey: "session.id"] = "\(request.sessionID)"
        let logger = sessionLogger
        hub(on: control.eventLoop, parameters: request.serial).whenComplete { [self] result in
            switch result {
            case .failure(let error as SerialPortError):
                refuse(request, control, error.isBusy ? .serialBusy : .serialUnavailable, error.description)
            case .failure(let error):
                refuse(request, control, .serialUnavailable, "\(error)")
            case .success(let hub):
                if request.mode == .control, let holder = hub.controlSessionID {
                    guard request.takeOver else {
                        return refuse(request, control, .serialBusy, "serial port \(serial.device) is in use by control session \(holder)")
                    }
                    hub.end(sessionID: holder, code: .sessionTakenOver, reason: "an administrator took the session over")
                }
                logger.info("Session starting", metadata: ["serial.device": "\(serial.device)", "mode": "\(request.mode)"])
                connect(request, hub: hub, control: control, logger: logger)
            }
        }
    }

    /// Dials the session's data connection and joins it to the port.
    private func connect(_ request: TunnelMessage.OpenSession, hub: SerialPortHub, control: any Channel, logger: Logger) {
        let sessionID = request.sessionID
        let hello = TunnelMessage.Hello(role: .agentData, software: software, sessionID: sessionID)
        hub.reserve()
        dialer.dial(on: hub.eventLoop, hello: hello) {
            hub.makeSessionHandler(sessionID: sessionID, mode: request.mode)
        }.whenComplete { [self] result in
            defer { hub.release() }
            switch result {
            case .success(let (channel, _)):
                state.withLockedValue { $0.running[sessionID] = channel }
                hub.activate(sessionID: sessionID)
                logger.info("Session connected")
                channel.closeFuture.whenComplete { [self] _ in
                    state.withLockedValue { _ = $0.running.removeValue(forKey: sessionID) }
                    logger.info("Session ended")
                }
            case .failure(let error):
                // Without its data connection the relay would wait out its setup timeout.
                refuse(request, control, .agentLost, "the agent could not open the data connection: \(error)")
            }
        }
    }

    /// The open port, or the port being opened, or a new one opened with `parameters`.
    private func hub(on eventLoop: any EventLoop, parameters: SerialParameters) -> EventLoopFuture<SerialPortHub> {
        eventLoop.preconditionInEventLoop()
        let existing = state.withLockedValue { state -> EventLoopFuture<SerialPortHub>? in
            if let hub = state.hub { return eventLoop.makeSucceededFuture(hub) }
            return state.hubOpening
        }
        if let existing { return existing }
        var parameters = parameters
        if parameters.baudRate == 0 { parameters.baudRate = serial.speed }
        let port: SerialPort
        let descriptor: CInt
        do {
            port = try SerialPort(path: serial.device, parameters: parameters)
            descriptor = try port.takeDescriptor()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        let hub = SerialPortHub(port: port, eventLoop: eventLoop, logger: logger)
        hub.onFinished = { [self] reason in
            let wasCurrent = state.withLockedValue { state -> Bool in
                guard state.hub === hub else { return false }
                state.hub = nil
                return true
            }
            if wasCurrent {
                port.close()
                logger.info("Serial port released", metadata: ["serial.device": "\(serial.device)", "reason": "\(reason)"])
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
        state.withLockedValue { $0.hubOpening = opening }
        opening.whenComplete { [self] result in
            state.withLockedValue { state in
                state.hubOpening = nil
                if case .success = result { state.hub = hub }
            }
            if case .failure = result { port.close() }
        }
        return opening
    }

    /// Ends a session the relay asked to stop.
    func close(sessionID: String, reason: String) {
        state.withLockedValue { $0.running[sessionID] }?.closeWithGoingAway(.sessionEnded, reason)
    }

    /// Ends every session, for shutdown.
    func closeAll() {
        for channel in state.withLockedValue({ Array($0.running.values) }) {
            channel.closeWithGoingAway(.agentShutdown, "the agent is shutting down")
        }
    }

    private func refuse(_ request: TunnelMessage.OpenSession, _ control: any Channel, _ code: TunnelErrorCode, _ message: String) {
        logger.warning("Session refused", metadata: ["session.id": "\(request.sessionID)", "reason": "\(message)"])
        control.writeAndFlush(
            TunnelMessage.closeSession(.init(sessionID: request.sessionID, code: code, message: message)), promise: nil)
    }
}
