/// Why a connection or a session ended, carried by `GOING_AWAY` and `CLOSE_SESSION`.
///
/// Values are stable on the wire; new codes are only ever added.
public enum TunnelErrorCode: UInt16, Sendable, CaseIterable {
    case normal = 0
    case protocolError = 1
    case unsupportedVersion = 2
    case frameTooLarge = 3
    case unknownFrameType = 4
    case unexpectedFrame = 5
    case authenticationFailed = 6
    case tokenUnknown = 7
    case tokenExpired = 8
    case tokenUsed = 9
    case deviceUnknown = 10
    case deviceRevoked = 11
    case agentOffline = 12
    case agentLost = 13
    case peerClosed = 14
    case serialUnavailable = 15
    case serialBusy = 16
    case keepaliveTimeout = 17
    case handshakeTimeout = 18
    case limitReached = 19
    case relayShutdown = 20
    case agentShutdown = 21
    case sessionTakenOver = 22
    case sessionEnded = 23
    case replaced = 24
    case certificateRefused = 25
    case invalidIdentifier = 26
    case diagnosticsUnavailable = 27
    case captureUnavailable = 28

    /// A short human description, used when a peer sends no message of its own.
    public var summary: String {
        switch self {
        case .normal: "closed normally"
        case .protocolError: "protocol error"
        case .unsupportedVersion: "unsupported protocol version"
        case .frameTooLarge: "frame too large"
        case .unknownFrameType: "unknown frame type"
        case .unexpectedFrame: "frame not allowed in this state"
        case .authenticationFailed: "authentication failed"
        case .tokenUnknown: "session token unknown"
        case .tokenExpired: "session token expired"
        case .tokenUsed: "session token already used"
        case .deviceUnknown: "device unknown"
        case .deviceRevoked: "device revoked"
        case .agentOffline: "agent offline"
        case .agentLost: "agent connection lost"
        case .peerClosed: "the other side of the session closed"
        case .serialUnavailable: "serial port unavailable"
        case .serialBusy: "serial port busy with another session"
        case .keepaliveTimeout: "peer silent past its keepalive timeout"
        case .handshakeTimeout: "handshake not completed in time"
        case .limitReached: "a limit was reached"
        case .relayShutdown: "relay shutting down"
        case .agentShutdown: "agent shutting down"
        case .sessionTakenOver: "session taken over by an administrator"
        case .sessionEnded: "session ended"
        case .replaced: "replaced by a newer connection"
        case .certificateRefused: "certificate request refused"
        case .invalidIdentifier: "identifier not in the allowed form"
        case .diagnosticsUnavailable: "diagnostic bundle could not be made"
        case .captureUnavailable: "no capture of the session here"
        }
    }
}

/// A protocol violation found while reading frames: the connection ends with `code`.
public struct TunnelProtocolError: Error, Equatable, CustomStringConvertible {
    /// The code the connection is closed with.
    public var code: TunnelErrorCode
    /// What was wrong, naming the input.
    public var message: String

    public init(_ code: TunnelErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.summary): \(message)" }
}
