import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SharedWire
import TunnelPlumbing

/// The sessions an agent runs: for each, the serial port, the data connection to the relay
/// and the bridge between them. The port belongs to one session at a time and is released
/// the moment that session ends.
public final class AgentSessions: Sendable {
    private let serial: AgentSettings.Serial
    private let dialer: TunnelDialer
    private let software: String
    private let logger: Logger
    /// Session ID to its data connection, while it runs.
    private let running = NIOLockedValueBox([String: any Channel]())
    private let portHolder = NIOLockedValueBox<String?>(nil)

    public init(serial: AgentSettings.Serial, dialer: TunnelDialer, software: String, logger: Logger) {
        self.serial = serial
        self.dialer = dialer
        self.software = software
        self.logger = logger
    }

    /// Number of sessions running now.
    public var count: Int { running.withLockedValue { $0.count } }

    /// Starts the session the relay asked for, or tells the relay why it cannot.
    func open(_ request: TunnelMessage.OpenSession, control: any Channel) {
        var logger = self.logger
        logger[metadataKey: "session.id"] = "\(request.sessionID)"
        let claimed = portHolder.withLockedValue { holder -> String? in
            if let holder { return holder }
            holder = request.sessionID
            return nil
        }
        if let holder = claimed {
            return refuse(request, control, .serialBusy, "serial port \(serial.device) is in use by session \(holder)")
        }
        let port: SerialPort
        do {
            var parameters = request.serial
            if parameters.baudRate == 0 { parameters.baudRate = serial.speed }
            port = try SerialPort(path: serial.device, parameters: parameters)
        } catch let error as SerialPortError {
            releasePort(request.sessionID)
            return refuse(request, control, error.isBusy ? .serialBusy : .serialUnavailable, error.description)
        } catch {
            releasePort(request.sessionID)
            return refuse(request, control, .serialUnavailable, "\(error)")
        }
        logger.info("Session starting", metadata: ["serial.device": "\(serial.device)", "mode": "\(request.mode)"])
        start(request, port: port, control: control, logger: logger)
    }

    private func start(_ request: TunnelMessage.OpenSession, port: SerialPort, control: any Channel, logger: Logger) {
        let eventLoop = control.eventLoop
        let sessionID = request.sessionID
        let local = NIOLockedValueBox<(any Channel)?>(nil)
        let finished = NIOLockedValueBox(false)
        /// Ends the session once: tells the relay why (`code`), closes both channels, releases the port.
        let finish: @Sendable (TunnelErrorCode, String) -> Void = { [self] code, why in
            guard !finished.withLockedValue({ done in defer { done = true }; return done }) else { return }
            local.withLockedValue { $0 }?.close(promise: nil)
            running.withLockedValue { $0[sessionID] }?.closeWithGoingAway(code, why)
            running.withLockedValue { $0[sessionID] = nil }
            port.close()
            releasePort(sessionID)
            logger.info("Session ended, serial port released", metadata: ["reason": "\(why)"])
        }
        let bridge = SerialBridge(eventLoop: eventLoop, callbacks: .init(
            applyControl: { port.apply($0) },
            onEnd: { ending in
                switch ending {
                case .tunnelClosed(let code, let message): finish(.normal, "\(code.summary): \(message)")
                case .tunnelLost: finish(.normal, "relay connection lost")
                case .localClosed: finish(.serialUnavailable, "the serial port \(self.serial.device) closed")
                }
            }))
        let descriptor: CInt
        do {
            descriptor = try port.takeDescriptor()
        } catch {
            return finish(.serialUnavailable, "\(error)")
        }
        NIOPipeBootstrap(group: eventLoop)
            .channelOption(ChannelOptions.autoRead, value: false)
            // A tty hands over at most about 4 KiB per read; more reads per wake-up make
            // bigger frames under bulk load (see SerialBridge) at no cost to latency.
            .channelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(bridge.makeLocalHandler()) }
            }
            .takingOwnershipOfDescriptor(inputOutput: descriptor)
            .flatMap { serialChannel -> EventLoopFuture<(any Channel, TunnelMessage.Welcome)> in
                local.withLockedValue { $0 = serialChannel }
                let hello = TunnelMessage.Hello(role: .agentData, software: self.software, sessionID: sessionID)
                return self.dialer.dial(on: eventLoop, hello: hello, makeHandler: { bridge.makeTunnelHandler() })
            }
            .whenComplete { [self] result in
                switch result {
                case .success(let (channel, _)):
                    running.withLockedValue { $0[sessionID] = channel }
                    if finished.withLockedValue({ $0 }) { channel.close(promise: nil); return }
                    local.withLockedValue { $0 }?.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
                    logger.info("Session connected")
                case .failure(let error):
                    finish(.normal, "data connection failed: \(error)")
                    // Without its data connection the relay would wait out its setup timeout.
                    control.writeAndFlush(TunnelMessage.closeSession(.init(
                        sessionID: sessionID, code: .agentLost, message: "the agent could not open the data connection: \(error)")),
                        promise: nil)
                }
            }
    }

    /// Ends a session the relay asked to stop.
    func close(sessionID: String, reason: String) {
        running.withLockedValue { $0[sessionID] }?.closeWithGoingAway(.sessionEnded, reason)
    }

    /// Ends every session, for shutdown.
    func closeAll() {
        for channel in running.withLockedValue({ Array($0.values) }) {
            channel.closeWithGoingAway(.agentShutdown, "the agent is shutting down")
        }
    }

    private func refuse(_ request: TunnelMessage.OpenSession, _ control: any Channel, _ code: TunnelErrorCode, _ message: String) {
        logger.warning("Session refused", metadata: ["session.id": "\(request.sessionID)", "reason": "\(message)"])
        control.writeAndFlush(
            TunnelMessage.closeSession(.init(sessionID: request.sessionID, code: code, message: message)), promise: nil)
    }

    private func releasePort(_ sessionID: String) {
        portHolder.withLockedValue { holder in
            if holder == sessionID { holder = nil }
        }
    }
}
