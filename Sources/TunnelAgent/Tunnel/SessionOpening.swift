import SerialIO
import SharedWire

/// Whether the agent starts a session the relay asked for: the rules of `OPEN_SESSION`,
/// without the serial port or the dialling (`AgentSessions` does those).
enum SessionOpening: Equatable {
    /// Not answered: the request's session ID is not one, and `CLOSE_SESSION` would carry
    /// the bad ID back. The relay's session setup times out.
    case ignore(reason: String)
    /// Answered with `CLOSE_SESSION` with this code and reason.
    case refuse(TunnelErrorCode, String)
    /// Start it, ending first the control session `takingOverFrom` when there is one.
    case start(takingOverFrom: String?)

    /// The first check, before the port is opened.
    static func check(_ request: TunnelMessage.OpenSession) -> SessionOpening? {
        guard TunnelIdentifier.isValid(request.sessionID) else {
            return .ignore(reason: "invalid session ID \(request.sessionID.prefix(64).debugDescription)")
        }
        return nil
    }

    /// The decision once the port was opened (or not): `port` is the control session that
    /// holds it (nil when none), or why it could not be opened.
    static func decide(
        _ request: TunnelMessage.OpenSession, device: String, port: Result<String?, any Error>
    ) -> SessionOpening {
        switch port {
        case .failure(let error as SerialPortError):
            return .refuse(error.isBusy ? .serialBusy : .serialUnavailable, error.description)
        case .failure(let error):
            return .refuse(.serialUnavailable, "\(error)")
        case .success(let holder):
            guard request.mode == .control, let holder else { return .start(takingOverFrom: nil) }
            guard request.takeOver else { return .refuse(.serialBusy, "serial port \(device) is in use by control session \(holder)") }
            return .start(takingOverFrom: holder)
        }
    }
}
