import NIOCore

/// A frame given its meaning: what peers of the tunnel protocol say to each other.
///
/// The rare control messages are `indirect` so the value stays within 24 bytes: a channel
/// pipeline carries it in an `NIOAny` without a heap box per frame on the serial data path.
public enum TunnelMessage: Equatable, Sendable {
    indirect case hello(Hello)
    indirect case welcome(Welcome)
    indirect case openSession(OpenSession)
    indirect case closeSession(CloseSession)
    indirect case sessionStatus(SessionStatus)
    /// Relay → client: who watches this session in the browser now, the whole list each time
    /// it changes (empty: nobody). Sent ignorable.
    case watchers([String])
    /// Relay node → relay node, on a `nodeWatch` link: one G1 sentence of the watched
    /// session, as it crossed the node holding the session's client. Sent ignorable.
    indirect case watchedSentence(WatchedSentence)
    /// Relay node → relay node, on a `nodeCapture` link: the next bytes of a session's capture
    /// file; an empty one ends the file.
    case captureData(ByteBuffer)
    case serialData(ByteBuffer)
    case serialControl(SerialControl)
    case serialControlResult(SerialControlResult)
    case serialState(SerialState)
    case ping(UInt64)
    case pong(UInt64)
    indirect case goingAway(GoingAway)
    /// Agent → relay on the control connection: one telemetry record as ThingsBoard's JSON
    /// (`{"ts": <ms>, "values": {...}}`), for the relay's live view. Sent ignorable, so a
    /// relay that does not know it skips it.
    case telemetry(ByteBuffer)
    /// Agent → relay on the control connection: a certificate signing request (DER) for a new
    /// key of the device, whose certificate the relay then issues. Sent ignorable.
    case renewCertificate([UInt8])
    /// Relay → agent on the control connection: the answer to `renewCertificate`.
    indirect case certificate(CertificateAnswer)
    /// Agent → relay on the control connection: the certificate with this serial number (hex)
    /// is installed and in use for new connections; the previous one may be retired. Sent ignorable.
    case certificateInstalled(String)
    /// Relay → agent on the control connection: renew the device certificate now, whatever its
    /// expiry (an operator asked). Sent ignorable, so an agent that cannot renew skips it.
    case renewRequested(String)
    /// Relay → agent on the control connection: collect a diagnostic bundle and upload it with
    /// this request ID (an administrator asked). Sent ignorable.
    case diagnoseRequested(String)
    /// Agent → relay on the control connection: the next piece of a diagnostic bundle. Sent ignorable.
    indirect case diagnosticData(DiagnosticData)
    /// Agent → relay on the control connection: the bundle is complete (its length and SHA-256),
    /// or could not be made (why). Sent ignorable.
    indirect case diagnosticEnd(DiagnosticEnd)

    /// Who opens a connection: the first frame on every connection says it.
    public enum Role: UInt8, Sendable {
        case agentControl = 1
        case agentData = 2
        case client = 3
        /// Relay node to relay node, on the node listener only: ask the node holding an
        /// agent's control connection to send it `OPEN_SESSION` (`sessionID`; `credential` is
        /// the device ID).
        case nodeOpen = 4
        /// Relay node to relay node, on the node listener only: this connection carries an
        /// agent's data connection that reached another node (`sessionID`; `credential` is the
        /// device ID that node authenticated). It is then handled as role 2.
        case nodeData = 5
        /// Relay node to relay node, on the node listener only: send me the live telemetry of
        /// the device whose agent you hold (`credential` is the device ID; no session).
        case nodeTelemetry = 6
        /// Relay node to relay node, on the node listener only: show me, for a browser, the
        /// G1 sentences of this session whose client you hold (`sessionID`; `credential` is
        /// the watching user's ID).
        case nodeWatch = 7
        /// Relay node to relay node, on the node listener only: send me the capture file of
        /// this session, recorded here (`sessionID`; `credential` is its device ID).
        case nodeCapture = 8

        /// Whether the role is one relay nodes use between each other.
        public var isNode: Bool {
            self == .nodeOpen || self == .nodeData || self == .nodeTelemetry || self == .nodeWatch || self == .nodeCapture
        }
    }

    /// How a session may use the serial port.
    public enum SessionMode: UInt8, Sendable, CustomStringConvertible {
        /// Exclusive, read and write.
        case control = 1
        /// Read-only: only sentences that read state reach the BMS.
        case monitor = 2

        public var description: String { self == .control ? "control" : "monitor" }

        public init?(name: String) {
            switch name {
            case "control": self = .control
            case "monitor": self = .monitor
            default: return nil
            }
        }
    }

    /// First frame of every connection.
    public struct Hello: Equatable, Sendable {
        public var version: UInt8
        public var role: Role
        /// Name and version of the sending program, for logs and the registry.
        public var software: String
        /// The session a data connection belongs to (`agentData` only, empty otherwise).
        public var sessionID: String
        /// A bearer credential: the one-time session token (`client`) or a device token
        /// (agents without a client certificate); empty when the TLS certificate speaks.
        public var credential: String

        public init(
            version: UInt8 = TunnelLimits.protocolVersion, role: Role, software: String,
            sessionID: String = "", credential: String = ""
        ) {
            self.version = version
            self.role = role
            self.software = software
            self.sessionID = sessionID
            self.credential = credential
        }
    }

    /// The relay's answer to an accepted `HELLO`.
    public struct Welcome: Equatable, Sendable {
        public var version: UInt8
        /// Who the relay took the peer for: a device ID or a session ID.
        public var identity: String
        /// The ping interval the relay expects, in milliseconds.
        public var pingIntervalMilliseconds: UInt32

        public init(version: UInt8 = TunnelLimits.protocolVersion, identity: String, pingIntervalMilliseconds: UInt32) {
            self.version = version
            self.identity = identity
            self.pingIntervalMilliseconds = pingIntervalMilliseconds
        }
    }

    /// Relay to agent, on the control connection: dial a data connection for this session.
    public struct OpenSession: Equatable, Sendable {
        public var sessionID: String
        public var mode: SessionMode
        public var serial: SerialParameters
        /// An administrator takes the port over: the agent ends the control session holding it.
        public var takeOver: Bool

        public init(sessionID: String, mode: SessionMode, serial: SerialParameters, takeOver: Bool = false) {
            self.sessionID = sessionID
            self.mode = mode
            self.serial = serial
            self.takeOver = takeOver
        }
    }

    /// Either way on the control connection: a session ended or could not start.
    public struct CloseSession: Equatable, Sendable {
        public var sessionID: String
        public var code: TunnelErrorCode
        public var message: String

        public init(sessionID: String, code: TunnelErrorCode, message: String) {
            self.sessionID = sessionID
            self.code = code
            self.message = message
        }
    }

    /// Relay to client, on its data connection: where the session stands.
    public struct SessionStatus: Equatable, Sendable {
        public var state: State
        public var deviceID: String
        public var mode: SessionMode

        public init(state: State, deviceID: String, mode: SessionMode) {
            self.state = state
            self.deviceID = deviceID
            self.mode = mode
        }

        public enum State: UInt8, Sendable {
            case waitingForAgent = 1
            case connected = 2
        }
    }

    /// The relay's answer to a certificate signing request: the new certificate, or why not.
    public struct CertificateAnswer: Equatable, Sendable {
        /// `.normal` when issued.
        public var code: TunnelErrorCode
        public var message: String
        /// The issued certificate (DER); empty when refused.
        public var certificate: [UInt8]

        public init(code: TunnelErrorCode = .normal, message: String = "", certificate: [UInt8]) {
            self.code = code
            self.message = message
            self.certificate = certificate
        }

        public static func refused(_ code: TunnelErrorCode, _ message: String) -> CertificateAnswer {
            CertificateAnswer(code: code, message: message, certificate: [])
        }
    }

    /// A piece of a diagnostic bundle, in order.
    public struct DiagnosticData: Equatable, Sendable {
        public var requestID: String
        public var data: ByteBuffer

        public init(requestID: String, data: ByteBuffer) {
            self.requestID = requestID
            self.data = data
        }
    }

    /// A G1 sentence of a watched session (`WATCHED_SENTENCE`).
    public struct WatchedSentence: Equatable, Sendable {
        /// When it crossed the relay, milliseconds since 1970.
        public var at: UInt64
        /// From the Control Panel to the BMS (else from the BMS).
        public var toDevice: Bool
        public var line: String
        /// The sentence's name (`CV1`), empty when the line is not G1.
        public var name: String
        /// What it says, decoded.
        public var meaning: String

        public init(at: UInt64, toDevice: Bool, line: String, name: String, meaning: String) {
            self.at = at
            self.toDevice = toDevice
            self.line = line
            self.name = name
            self.meaning = meaning
        }
    }

    /// The end of a diagnostic bundle's upload.
    public struct DiagnosticEnd: Equatable, Sendable {
        public var requestID: String
        /// `.normal` when the bundle is complete; otherwise why there is none.
        public var code: TunnelErrorCode
        public var message: String
        /// The bundle's length in bytes and its SHA-256, which the receiver checks.
        public var length: UInt32
        public var sha256: [UInt8]

        public init(requestID: String, code: TunnelErrorCode = .normal, message: String = "", length: UInt32, sha256: [UInt8]) {
            self.requestID = requestID
            self.code = code
            self.message = message
            self.length = length
            self.sha256 = sha256
        }

        public static func failed(_ requestID: String, _ message: String) -> DiagnosticEnd {
            DiagnosticEnd(requestID: requestID, code: .diagnosticsUnavailable, message: message, length: 0, sha256: [])
        }
    }

    /// The last frame a peer sends before closing: why.
    public struct GoingAway: Equatable, Sendable {
        public var code: TunnelErrorCode
        public var message: String

        public init(code: TunnelErrorCode, message: String = "") {
            self.code = code
            self.message = message
        }
    }
}
