import NIOCore
import SharedWire

/// The rules of one connection to the relay, without its I/O: what a `HELLO` leads to, which
/// frames each role may send, when a connection is refused and what its end leaves to do.
///
/// Every input is a method that returns an `Action` for `RelayConnectionHandler` to carry out
/// (write, close, ask the store, tell the broker). The state machine reads no clock, no socket
/// and no store: the handler tells it what happened, including "the handshake timer fired".
/// `Partner` is the paired connection a session forwards to (a `Channel` in the relay, any
/// value in the tests).
struct RelayConnection<Partner> {
    enum State {
        case awaitingHello
        /// The store is being asked about the peer of this `HELLO`.
        case authenticating(TunnelMessage.Hello)
        case agentControl(deviceID: String)
        case waitingForAgent(SessionRecord)
        /// Another node reads this device's live telemetry (role `nodeTelemetry`).
        case feedingTelemetry(deviceID: String)
        /// Another node shows a browser this session's sentences (role `nodeWatch`).
        case feedingWatch(sessionID: String)
        /// Another node reads a session's capture file recorded here (role `nodeCapture`).
        case feedingCapture(sessionID: String)
        case forwarding(sessionID: String, side: SessionBroker.Side, partner: Partner)
        case closed
    }

    typealias Refusal = RelayRefusal

    enum Action {
        case none
        /// Send `GOING_AWAY` and close.
        case refuse(Refusal)
        /// Refuse an agent, and write the refusal to the audit log.
        case refuseAgent(deviceID: String, Refusal)
        /// Close at once: the peer said it is going away.
        case close
        /// Close at once, at the handshake timeout: TLS never came up, so no `GOING_AWAY` can be sent.
        case cutUnfinishedTLS
        /// Read the agent's certificate and look its device up, then call `agentIdentified` and
        /// `agentLookedUp`.
        case authenticateAgent
        /// Claim the session of this token in the store, then call `sessionClaimed`.
        case claimSession(SessionToken)
        /// Admit the agent's control connection: register it, record presence, send `WELCOME`
        /// and the sessions waiting for it. `promoteSerial` is the renewed certificate it uses.
        case acceptAgentControl(deviceID: String, software: String, promoteSerial: String?)
        /// Hand the agent's data connection to the broker, then call `agentJoined`. `fromNode`:
        /// another node carries it here (role `nodeData`), so it is not carried on again.
        case joinSession(deviceID: String, sessionID: String, promoteSerial: String?, fromNode: Bool)
        /// Another node asks this one to send its agent `OPEN_SESSION`; then call `nodeOpenAnswered`.
        case openForNode(sessionID: String, deviceID: String)
        /// The other node's `nodeOpen` was carried out: send `WELCOME`, then close.
        case welcomeNodeAndClose(sessionID: String)
        /// Another node reads the device's live telemetry: send `WELCOME`, the latest values
        /// as records, an empty `TELEMETRY` frame, then every record as it comes.
        case feedTelemetry(deviceID: String)
        /// Another node's browser watches a session whose client is here: send `WELCOME`, then
        /// each sentence as `WATCHED_SENTENCE` and the watchers as `WATCHERS` when they change.
        case feedWatch(sessionID: String, user: String)
        /// Another node reads a session's capture recorded here: send `WELCOME`, the file in
        /// `CAPTURE_DATA` frames, an empty one, then close.
        case feedCapture(sessionID: String, deviceID: String)
        /// Send the agent's data connection its `WELCOME`.
        case welcomeAgentData(sessionID: String)
        /// Send the client `WELCOME` and `SESSION_STATUS` waiting, then hand it to the broker
        /// (and call `clientRefused` when the broker refuses it).
        case acceptClient(SessionRecord)
        /// The agent arrived: send the client `SESSION_STATUS` connected; add the monitor rule
        /// for serial control when `monitor`.
        case startSession(SessionRecord, monitor: Bool)
        /// A client frame before pairing has nowhere to go.
        case dropBeforePairing(TunnelFrameType)
        /// Send `message` to the partner; record its serial bytes in the capture going `capture`.
        case forward(TunnelMessage, to: Partner, capture: CaptureRecord.Direction?)
        /// A monitor client's bytes: forward what the read-only rule allows (if any) and log the
        /// lines it dropped.
        case forwardMonitored(allowed: ByteBuffer?, dropped: [G1MonitorFilter.Dropped], to: Partner)
        /// The agent refused a session it was asked to open.
        case agentRefusedSession(sessionID: String, deviceID: String, code: TunnelErrorCode, message: String)
        case telemetry(deviceID: String, ByteBuffer)
        case renewCertificate([UInt8], deviceID: String)
        case certificateInstalled(deviceID: String, serial: String)
        /// A piece, or the end, of the diagnostic bundle the agent uploads.
        case diagnosticData(deviceID: String, TunnelMessage.DiagnosticData)
        case diagnosticEnd(deviceID: String, TunnelMessage.DiagnosticEnd)
        /// The agent's control connection ended: unregister it and record it offline.
        case agentGone(deviceID: String)
        /// One side of a session ended: the broker ends the session with these figures.
        case sessionSideEnded(sessionID: String, side: SessionBroker.Side, bytes: UInt64, reason: String)
    }

    /// Which listener the connection came to: the tunnel port (agents and clients) or the node
    /// listener (other relay nodes, roles `nodeOpen` and `nodeData` only).
    enum Listener { case tunnel, nodes }

    let listener: Listener

    init(listener: Listener = .tunnel) {
        self.listener = listener
    }

    private(set) var state = State.awaitingHello
    /// Whether TLS finished its handshake; before that no frame can reach the peer.
    private(set) var tlsEstablished = false
    /// Serial bytes this connection delivered to its partner.
    private(set) var bytesDelivered: UInt64 = 0
    /// Why the connection ends, once known: the first reason wins.
    private(set) var endReason: String?
    /// Set by the first refusal: answers from the store that arrive later are ignored.
    private var refused = false
    /// The read-only rule of a monitor session, applied to what its client sends.
    private var monitorFilter: G1MonitorFilter?

    /// The connection a session forwards to, while it does.
    var partner: Partner? {
        if case .forwarding(_, _, let partner) = state { return partner }
        return nil
    }

    // MARK: - Handshake

    mutating func tlsHandshakeCompleted() {
        tlsEstablished = true
    }

    /// The handshake timer fired.
    mutating func handshakeTimedOut() -> Action {
        switch state {
        case .awaitingHello where !tlsEstablished:
            // A GOING_AWAY could not be sent (TLS holds it back until a handshake the peer is
            // not finishing), so the connection closes at once, at the timeout PROTOCOL.md gives.
            endReason = endReason ?? "TLS handshake not finished within the handshake timeout"
            return .cutUnfinishedTLS
        case .awaitingHello, .authenticating:
            return refuse(.handshakeTimeout, "no HELLO within the handshake timeout")
        case .agentControl, .waitingForAgent, .forwarding, .feedingTelemetry, .feedingWatch, .feedingCapture, .closed:
            return .none
        }
    }

    // MARK: - Frames

    mutating func received(_ message: TunnelMessage) -> Action {
        // After a refusal the connection is closing: what else the peer sends is not acted on.
        guard !refused else { return .none }
        switch state {
        case .awaitingHello:
            return receivedHello(message)
        case .authenticating:
            return refuse(.unexpectedFrame, "\(message.frameType) sent before the relay answered HELLO")
        case .agentControl(let deviceID):
            return receivedOnControl(message, deviceID: deviceID)
        case .feedingTelemetry:
            if case .goingAway(let reason) = message { return peerLeft(reason) }
            return refuse(.unexpectedFrame, "\(message.frameType) is not allowed on a telemetry link")
        case .feedingWatch:
            if case .goingAway(let reason) = message { return peerLeft(reason) }
            return refuse(.unexpectedFrame, "\(message.frameType) is not allowed on a watch link")
        case .feedingCapture:
            if case .goingAway(let reason) = message { return peerLeft(reason) }
            return refuse(.unexpectedFrame, "\(message.frameType) is not allowed on a capture link")
        case .waitingForAgent:
            if case .goingAway(let reason) = message { return peerLeft(reason) }
            // Data sent before SESSION_STATUS connected has nowhere to go; see PROTOCOL.md.
            return .dropBeforePairing(message.frameType)
        case .forwarding(_, let side, let partner):
            return forward(message, from: side, to: partner)
        case .closed:
            return .none
        }
    }

    private mutating func receivedHello(_ message: TunnelMessage) -> Action {
        guard case .hello(let hello) = message else {
            return refuse(.unexpectedFrame, "the first frame must be HELLO, got \(message.frameType)")
        }
        // The decoder already refused other protocol versions with `unsupportedVersion`.
        do {
            try hello.checkIdentifiers()
        } catch let error as TunnelProtocolError {
            return refuse(error.code, error.message)
        } catch {
            return refuse(.protocolError, "\(error)")
        }
        guard hello.role.isNode == (listener == .nodes) else {
            return listener == .nodes
                ? refuse(.authenticationFailed, "the node listener takes only other relay nodes (HELLO roles 4 to 8)")
                : refuse(.authenticationFailed, "HELLO role \(hello.role.rawValue) is for links between relay nodes")
        }
        state = .authenticating(hello)
        switch hello.role {
        case .nodeOpen:
            return .openForNode(sessionID: hello.sessionID, deviceID: hello.credential)
        case .nodeData:
            return .joinSession(deviceID: hello.credential, sessionID: hello.sessionID, promoteSerial: nil, fromNode: true)
        case .nodeTelemetry:
            state = .feedingTelemetry(deviceID: hello.credential)
            return .feedTelemetry(deviceID: hello.credential)
        case .nodeWatch:
            state = .feedingWatch(sessionID: hello.sessionID)
            return .feedWatch(sessionID: hello.sessionID, user: hello.credential)
        case .nodeCapture:
            state = .feedingCapture(sessionID: hello.sessionID)
            return .feedCapture(sessionID: hello.sessionID, deviceID: hello.credential)
        case .agentControl, .agentData:
            return .authenticateAgent
        case .client:
            guard let token = SessionToken(parsing: hello.credential) else {
                return refuse(.tokenUnknown, "the session token is not of the form st1.<id>.<secret>")
            }
            return .claimSession(token)
        }
    }

    private mutating func receivedOnControl(_ message: TunnelMessage, deviceID: String) -> Action {
        switch message {
        case .closeSession(let close):
            guard TunnelIdentifier.isValid(close.sessionID) else {
                return refuse(
                    .invalidIdentifier, "CLOSE_SESSION session ID \(close.sessionID.prefix(40).debugDescription) is not a session ID")
            }
            return .agentRefusedSession(
                sessionID: close.sessionID, deviceID: deviceID, code: close.code,
                message: AuditEntry.bounded(close.message, AuditEntry.maxReasonBytes))
        case .goingAway(let reason):
            return peerLeft(reason)
        case .telemetry(let record):
            return .telemetry(deviceID: deviceID, record)
        case .renewCertificate(let request):
            return .renewCertificate(request, deviceID: deviceID)
        case .certificateInstalled(let serial):
            return .certificateInstalled(deviceID: deviceID, serial: serial)
        case .diagnosticData(let piece):
            return .diagnosticData(deviceID: deviceID, piece)
        case .diagnosticEnd(let end):
            return .diagnosticEnd(deviceID: deviceID, end)
        default:
            return refuse(.unexpectedFrame, "\(message.frameType) is not allowed on an agent's control connection")
        }
    }

    private mutating func forward(_ message: TunnelMessage, from side: SessionBroker.Side, to partner: Partner) -> Action {
        switch (message, side) {
        case (.serialData(let data), .client) where monitorFilter != nil:
            let (allowed, dropped) = monitorFilter!.filter(data)
            guard allowed.readableBytes > 0 else { return .forwardMonitored(allowed: nil, dropped: dropped, to: partner) }
            bytesDelivered &+= UInt64(allowed.readableBytes)
            return .forwardMonitored(allowed: allowed, dropped: dropped, to: partner)
        case (.serialData(let data), _):
            bytesDelivered &+= UInt64(data.readableBytes)
            return .forward(message, to: partner, capture: side == .client ? .toDevice : .fromDevice)
        case (.serialControl, .client), (.serialControlResult, .agent), (.serialState, .agent):
            return .forward(message, to: partner, capture: nil)
        case (.goingAway(let reason), _):
            return peerLeft(reason)
        default:
            return refuse(.unexpectedFrame, "\(message.frameType) from the \(side) side is not allowed on a session's data connection")
        }
    }

    // MARK: - Answers from the store and the broker

    /// The agent's certificate could not be read or names no device.
    mutating func agentCertificateRefused(_ reason: String) -> Action {
        guard isAuthenticating else { return .none }
        return refuse(.authenticationFailed, reason)
    }

    /// The store answered about the device the agent's certificate names (`serial` is the
    /// certificate's serial); `lookup` is its record, or why the store could not say.
    mutating func agentLookedUp(deviceID: String, serial: String, lookup: Result<DeviceRecord?, any Error>) -> Action {
        guard case .authenticating(let hello) = state, !refused else { return .none }
        let admission: AgentAdmission
        switch lookup {
        case .failure(let error): return refuse(.authenticationFailed, "device lookup failed: \(error)")
        case .success(let record): admission = AgentAdmission.decide(deviceID: deviceID, serial: serial, record: record)
        }
        switch admission {
        case .refuse(let code, let message):
            refused = true
            endReason = endReason ?? message
            return .refuseAgent(deviceID: deviceID, Refusal(code: code, message: message))
        case .admit(let renewedCertificateInUse):
            let promote = renewedCertificateInUse ? serial : nil
            if hello.role == .agentControl {
                state = .agentControl(deviceID: deviceID)
                return .acceptAgentControl(deviceID: deviceID, software: hello.software, promoteSerial: promote)
            }
            return .joinSession(deviceID: deviceID, sessionID: hello.sessionID, promoteSerial: promote, fromNode: false)
        }
    }

    /// The broker's answer to an agent's data connection: the client it pairs with, or a refusal.
    mutating func agentJoined(sessionID: String, _ result: Result<Partner, TunnelProtocolError>) -> Action {
        guard isAuthenticating else { return .none }
        switch result {
        case .success(let client):
            state = .forwarding(sessionID: sessionID, side: .agent, partner: client)
            return .welcomeAgentData(sessionID: sessionID)
        case .failure(let refusal):
            return refuse(refusal.code, refusal.message)
        }
    }

    /// The agent was sent the other node's `OPEN_SESSION`, or `refusal` says why not.
    mutating func nodeOpenAnswered(sessionID: String, refusal: RelayRefusal?) -> Action {
        guard isAuthenticating else { return .none }
        if let refusal { return refuse(refusal.code, refusal.message) }
        state = .closed
        return .welcomeNodeAndClose(sessionID: sessionID)
    }

    /// The store's answer to a client's token.
    mutating func sessionClaimed(_ result: Result<SessionClaim, any Error>) -> Action {
        guard isAuthenticating else { return .none }
        switch result {
        case .failure(let error): return refuse(.authenticationFailed, "session lookup failed: \(error)")
        case .success(.unknown): return refuse(.tokenUnknown, "no session matches this token")
        case .success(.expired): return refuse(.tokenExpired, "the session token has expired; ask for a new session")
        case .success(.used): return refuse(.tokenUsed, "the session token was already used; tokens work once")
        case .success(.busy(let holder)): return refuse(.serialBusy, holder)
        case .success(.claimed(let session)):
            state = .waitingForAgent(session)
            return .acceptClient(session)
        }
    }

    /// The broker refused the client it was handed (the device is busy, or too many sessions
    /// wait for it); the broker has recorded the session's end itself.
    mutating func clientRefused(_ refusal: TunnelMessage.GoingAway) -> Action {
        guard case .waitingForAgent = state else { return .none }
        state = .closed
        refused = true
        endReason = endReason ?? refusal.message
        return .refuse(Refusal(code: refusal.code, message: refusal.message))
    }

    /// The broker paired the waiting client with the agent's data connection.
    mutating func paired(with agent: Partner) -> Action {
        guard case .waitingForAgent(let session) = state else { return .none }
        state = .forwarding(sessionID: session.id, side: .client, partner: agent)
        if session.mode == .monitor { monitorFilter = G1MonitorFilter() }
        return .startSession(session, monitor: session.mode == .monitor)
    }

    // MARK: - Ending

    /// The pipeline reported an error; it closes the connection with this code and reason.
    mutating func failed(_ code: TunnelErrorCode, _ message: String) -> Action {
        endReason = endReason ?? message
        return refuse(code, message)
    }

    /// The connection closed: what its end leaves to do.
    mutating func closed() -> Action {
        let reason = endReason ?? "connection closed"
        let action: Action
        switch state {
        case .agentControl(let deviceID): action = .agentGone(deviceID: deviceID)
        case .waitingForAgent(let session):
            action = .sessionSideEnded(sessionID: session.id, side: .client, bytes: 0, reason: reason)
        case .forwarding(let sessionID, let side, _):
            action = .sessionSideEnded(sessionID: sessionID, side: side, bytes: bytesDelivered, reason: reason)
        case .awaitingHello, .authenticating, .feedingTelemetry, .feedingWatch, .feedingCapture, .closed: action = .none
        }
        state = .closed
        return action
    }

    // MARK: - Helpers

    private var isAuthenticating: Bool {
        guard case .authenticating = state else { return false }
        return !refused
    }

    private mutating func peerLeft(_ reason: TunnelMessage.GoingAway) -> Action {
        // The peer's words go to the session's record and audit: bounded like every audit reason.
        endReason = reason.message.isEmpty ? reason.code.summary : AuditEntry.bounded(reason.message, AuditEntry.maxReasonBytes)
        return .close
    }

    /// Refuses once: a second reason (a timer, an error while closing) changes nothing.
    private mutating func refuse(_ code: TunnelErrorCode, _ message: String) -> Action {
        if case .closed = state { return .none }
        guard !refused else { return .none }
        refused = true
        endReason = endReason ?? message
        return .refuse(Refusal(code: code, message: message))
    }
}

extension RelayConnection.Action: Equatable where Partner: Equatable {}
