import NIOCore
import SharedWire
import TunnelHarness

/// A client's session through the in-process tunnel, dialled with a one-time token and
/// ready once the relay reported the agent connected; its pipeline then ends in raw bytes.
final class TunnelSession: Sendable {
    let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Opens a session to `deviceID`, dials it and waits for `SESSION_STATUS connected`.
    static func open(_ deployment: LocalDeployment, deviceID: String, timeout: TimeAmount) async throws -> TunnelSession {
        let token = try await deployment.openSession(deviceID: deviceID)
        let loop = deployment.clientGroup.next()
        let connected = loop.makePromise(of: Void.self)
        let timer = loop.scheduleTask(in: timeout) {
            connected.fail(PhaseFailure.timedOut(phase: "session setup", progress: "no SESSION_STATUS connected", after: timeout))
        }
        defer { timer.cancel() }
        let channel = try await SessionBytesHandler.dialConnected(connected: connected) { makeHandler in
            try await deployment.dialClient(credential: "\(token)", makeHandler: makeHandler).0
        }
        return TunnelSession(channel: channel)
    }

    /// Ends the session the way a client does: `GOING_AWAY` then close.
    func close() async {
        channel.triggerUserOutboundEvent(EndSession(), promise: nil)
        try? await channel.closeFuture.get()
    }
}
