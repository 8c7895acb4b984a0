import Logging
import NIOConcurrencyHelpers
import NIOCore
import SerialIO
import SharedWire

/// Carries the line settings an application makes on the virtual serial port (speed, data
/// bits, parity, stop bits, flow control) to the real port: reads the PTY slave's termios
/// at a short interval and sends a serial control operation for each change.
///
/// Polling, because a Linux PTY tells its master about termios changes only in packet mode
/// with EXTPROC, which applications do not set (docs/DECISIONS.md).
final class PTYSettingsFollower: Sendable {
    /// How often the termios is read. A Control Panel changes settings when it opens the port
    /// and then sends a request; 100 ms is below its reply timeouts, and a `tcgetattr` ten
    /// times a second costs nothing measurable.
    static let pollInterval = TimeAmount.milliseconds(100)

    private let pty: PseudoTerminal
    private let link: SerialControlLink
    private let eventLoop: any EventLoop
    private let logger: Logger
    /// The settings last seen, the polling task, and whether the follower has stopped. Held
    /// under one lock so that a poll never reads a closed PTY.
    private let state: NIOLockedValueBox<(seen: SerialParameters, task: RepeatedTask?, stopped: Bool)>

    /// Starts from the settings the PTY has now: only later changes are sent.
    init(pty: PseudoTerminal, link: SerialControlLink, eventLoop: any EventLoop, logger: Logger) throws {
        self.pty = pty
        self.link = link
        self.eventLoop = eventLoop
        self.logger = logger
        self.state = NIOLockedValueBox((try pty.slaveParameters(), nil, false))
    }

    /// Polls from now on (the session is connected), on the endpoint's event loop.
    func start() {
        state.withLockedValue { state in
            guard state.task == nil, !state.stopped else { return }
            state.task = eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: Self.pollInterval) { [self] _ in
                poll()
            }
        }
    }

    /// Stops polling; the PTY may be closed after this returns.
    func stop() {
        state.withLockedValue { state in
            state.stopped = true
            state.task?.cancel()
            state.task = nil
        }
    }

    private func poll() {
        let changes = state.withLockedValue { state -> [SerialControl] in
            guard !state.stopped, let now = try? pty.slaveParameters() else { return [] }
            defer { state.seen = now }
            return state.seen.changes(to: now)
        }
        for change in changes {
            logger.debug("Virtual port setting changed", metadata: ["operation": "\(change)"])
            link.send(change) { [logger] result in
                guard result.status != .applied else { return }
                logger.notice(
                    "The serial port did not take a setting made on the virtual port",
                    metadata: ["operation": "\(result.operation)", "in.effect": "\(result.value)", "status": "\(result.status)"])
            }
        }
    }
}
