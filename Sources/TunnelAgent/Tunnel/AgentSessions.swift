import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SerialIO
import SharedWire
import TunnelTransport

/// The sessions an agent runs on the serial line (see `SerialLine` and `SerialPortHub`): one
/// control session, any number of monitors. Each session has its own data connection to the relay.
public final class AgentSessions: Sendable {
    private let line: SerialLine
    private let dialer: TunnelDialer
    private let software: String
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    private struct State {
        /// Session ID to its data connection, while it runs.
        var running: [String: any Channel] = [:]
    }

    public init(line: SerialLine, dialer: TunnelDialer, software: String, logger: Logger) {
        self.line = line
        self.dialer = dialer
        self.software = software
        self.logger = logger
    }

    /// Number of sessions running now.
    public var count: Int { state.withLockedValue { $0.running.count } }

    /// Starts the session the relay asked for, or tells the relay why it cannot (the rules:
    /// `SessionOpening`).
    func open(_ request: TunnelMessage.OpenSession, control: any Channel) {
        if case .ignore(let reason)? = SessionOpening.check(request) {
            return logger.error("Session refused", metadata: ["reason": "\(reason)"])
        }
        var sessionLogger = self.logger
        sessionLogger[metadataKey: "session.id"] = "\(request.sessionID)"
        let logger = sessionLogger
        line.hub(on: control.eventLoop, parameters: request.serial).whenComplete { [self] result in
            let port = result.map { $0.controlSessionID }
            switch SessionOpening.decide(request, device: line.settings.device, port: port) {
            case .ignore(let reason):
                logger.error("Session refused", metadata: ["reason": "\(reason)"])
            case .refuse(let code, let message):
                refuse(request, control, code, message)
            case .start(let holder):
                guard case .success(let hub) = result else { return }
                if let holder { hub.end(sessionID: holder, code: .sessionTakenOver, reason: "an administrator took the session over") }
                logger.info("Session starting", metadata: ["serial.device": "\(line.settings.device)", "mode": "\(request.mode)"])
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
