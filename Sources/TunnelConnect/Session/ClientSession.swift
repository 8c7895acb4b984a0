import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ProgramSupport
import ServiceLifecycle
import SharedWire
import TunnelTransport

/// One attached Control Panel session: claims the token at the relay, exposes the session
/// locally, prints where it stands, and ends when the relay, the agent or the user ends it.
final class ClientSession: Service, Sendable {
    /// How the session ended, for the exit status.
    enum Outcome: Sendable, Equatable {
        case closedByUser
        case ended(TunnelErrorCode, String)
        case lost
    }

    private let target: ConnectTarget
    private let dialer: TunnelDialer
    private let endpoint: any LocalEndpoint
    private let group: any EventLoopGroup
    private let status: @Sendable (String) -> Void
    private let capture: SessionCapture?
    private let outcomeBox = NIOLockedValueBox<Outcome?>(nil)

    init(
        target: ConnectTarget, dialer: TunnelDialer, endpoint: any LocalEndpoint, group: any EventLoopGroup,
        capture: SessionCapture? = nil, status: @escaping @Sendable (String) -> Void
    ) {
        self.capture = capture
        self.target = target
        self.dialer = dialer
        self.endpoint = endpoint
        self.group = group
        self.status = status
    }

    var outcome: Outcome? { outcomeBox.withLockedValue { $0 } }

    func run() async throws {
        let eventLoop = group.next()
        let ended = eventLoop.makePromise(of: Void.self)
        let endpoint = self.endpoint
        let status = self.status
        let outcomeBox = self.outcomeBox
        let localPlace = NIOLockedValueBox("")
        let bridgeBox = NIOLockedValueBox<SerialBridge?>(nil)
        let capture = self.capture
        let bridge = SerialBridge(
            eventLoop: eventLoop,
            callbacks: .init(
                onMessage: { message in
                    switch message {
                    case .sessionStatus(let s) where s.state == .waitingForAgent:
                        status("Waiting for the agent of device \(s.deviceID) (\(s.mode) session)…")
                    case .sessionStatus(let s):
                        endpoint.setReading(true)
                        status(
                            "Connected to device \(s.deviceID) (\(s.mode) session). Point the Control Panel at \(localPlace.withLockedValue { $0 })"
                        )
                    case .watchers(let names):
                        status(
                            names.isEmpty
                                ? "Nobody watches this session in the browser now"
                                : "Watching this session in the browser: \(names.joined(separator: ", "))")
                    case .serialControlResult(let result):
                        endpoint.controlReceiver?.tunnelAnswered(result)
                    case .serialState(let state):
                        endpoint.controlReceiver?.tunnelReported(state)
                    default:
                        break
                    }
                },
                onData: capture.map { capture in
                    { direction, bytes in capture.record(direction == .toTunnel ? .toDevice : .fromDevice, bytes) }
                },
                onEnd: { ending in
                    switch ending {
                    case .tunnelClosed(let code, let message):
                        outcomeBox.withLockedValue { $0 = $0 ?? .ended(code, message) }
                        ended.succeed()
                    case .tunnelLost:
                        outcomeBox.withLockedValue { $0 = $0 ?? .lost }
                        ended.succeed()
                    case .localClosed:
                        if endpoint.survivesLocalClose {
                            status("The Control Panel disconnected; the session stays open for it to reconnect.")
                        } else {
                            outcomeBox.withLockedValue { $0 = $0 ?? .ended(.normal, "the local port closed") }
                            bridgeBox.withLockedValue { $0 }?.closeTunnel(.normal, "the client's local port closed")
                            ended.succeed()
                        }
                    }
                }))
        bridgeBox.withLockedValue { $0 = bridge }
        defer { bridgeBox.withLockedValue { $0 = nil } }
        let place = try await endpoint.start(bridge: bridge)
        localPlace.withLockedValue { $0 = place }
        defer { endpoint.close() }
        status("Local endpoint ready: \(place)")
        let channel: any Channel
        do {
            (channel, _) = try await dialer.dial(
                on: eventLoop, hello: .init(role: .client, software: ProductVersion.software("tunnel-connect"), credential: target.token),
                makeHandler: { bridge.makeTunnelHandler() }
            ).get()
        } catch let refusal as RelayRefusal {
            outcomeBox.withLockedValue { $0 = .ended(refusal.code, refusal.message) }
            await capture?.close()
            throw refusal
        }
        await withGracefulShutdownHandler {
            try? await ended.futureResult.get()
        } onGracefulShutdown: {
            outcomeBox.withLockedValue { $0 = $0 ?? .closedByUser }
            channel.closeWithGoingAway(.normal, "the engineer closed tunnel-connect")
        }
        try? await channel.closeFuture.get()
        await capture?.close()
    }
}
