import Foundation
import Logging
import NIOCore
import NIOTLS
import SharedWire
import TunnelTransport

/// One connection to the relay, from its `HELLO` to its close: authenticates the peer by
/// role, then serves an agent's control connection or forwards a session's frames to the
/// paired connection.
final class RelayConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = TunnelMessage
    typealias OutboundOut = TunnelMessage

    private enum State {
        case awaitingHello
        case authenticating
        case agentControl(deviceID: String)
        case waitingForAgent(SessionRecord)
        case forwarding(sessionID: String, side: SessionBroker.Side, partner: any Channel)
        case closed
    }

    private let relay: RelayContext
    private var state = State.awaitingHello
    private var handshakeTimer: Scheduled<Void>?
    /// Whether TLS finished its handshake; before that no frame can reach the peer.
    private var tlsEstablished = false
    /// Serial bytes this connection delivered to its partner.
    private var bytes: UInt64 = 0
    private var endReason: String?
    private var logger: Logger
    /// The read-only rule of a monitor session, applied to what its client sends.
    private var monitorFilter: G1MonitorFilter?
    /// The session's capture, when the relay records sessions.
    private var capture: SessionCapture?
    /// Certificate requests of an agent's control connection.
    private var renewals: CertificateRenewalDesk

    init(relay: RelayContext) {
        self.relay = relay
        self.logger = relay.logger
        self.renewals = CertificateRenewalDesk(renewer: relay.renewer, writes: relay.writes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        logger[metadataKey: "peer"] = "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")"
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        handshakeTimer = context.eventLoop.scheduleTask(in: relay.configuration.handshakeTimeout) {
            let (handler, context) = loopBound.value
            switch handler.state {
            case .awaitingHello where !handler.tlsEstablished:
                handler.cutUnfinishedTLS(context)
            case .awaitingHello, .authenticating:
                handler.refuse(context, .handshakeTimeout, "no HELLO within the handshake timeout")
            default:
                break
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        switch state {
        case .awaitingHello:
            guard case .hello(let hello) = message else {
                return refuse(context, .unexpectedFrame, "the first frame must be HELLO, got \(message.frameType)")
            }
            // The decoder already refused other protocol versions with `unsupportedVersion`.
            do {
                try hello.checkIdentifiers()
            } catch let error as TunnelProtocolError {
                return refuse(context, error.code, error.message)
            } catch {
                return refuse(context, .protocolError, "\(error)")
            }
            state = .authenticating
            switch hello.role {
            case .agentControl, .agentData: authenticateAgent(context, hello)
            case .client: authenticateClient(context, hello)
            }
        case .authenticating:
            refuse(context, .unexpectedFrame, "\(message.frameType) sent before the relay answered HELLO")
        case .agentControl(let deviceID):
            agentControlRead(context, deviceID: deviceID, message)
        case .waitingForAgent:
            if case .goingAway(let reason) = message { return peerLeft(context, reason) }
            // Data sent before SESSION_STATUS connected has nowhere to go; see PROTOCOL.md.
            logger.debug("Dropped client frame before pairing", metadata: ["frame": "\(message.frameType)"])
        case .forwarding(_, let side, let partner):
            forward(context, message, from: side, to: partner)
        case .closed:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .forwarding(_, _, let partner) = state { partner.flush() }
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .forwarding(_, _, let partner) = state {
            partner.setOption(ChannelOptions.autoRead, value: context.channel.isWritable).whenFailure { _ in }
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted? = event as? TLSUserEvent { tlsEstablished = true }
        guard let paired = event as? SessionBroker.Paired, case .waitingForAgent(let session) = state else {
            return context.fireUserInboundEventTriggered(event)
        }
        state = .forwarding(sessionID: session.id, side: .client, partner: paired.agent)
        capture = paired.capture
        if session.mode == .monitor {
            monitorFilter = G1MonitorFilter()
            try? context.pipeline.syncOperations.addHandler(
                MonitorControlHandler(
                    session: session, source: context.channel.remoteAddress?.ipAddress, store: relay.store, writes: relay.writes,
                    logger: logger),
                position: .before(self))
        }
        context.writeAndFlush(
            wrapOutboundOut(
                .sessionStatus(
                    .init(
                        state: .connected, deviceID: session.deviceID, mode: session.mode))), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let (code, message) = error.tunnelClosing
        logger.info("Connection error", metadata: ["error": "\(error)"])
        endReason = endReason ?? message
        refuse(context, code, message)
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        let reason = endReason ?? "connection closed"
        switch state {
        case .agentControl(let deviceID):
            if relay.agents.remove(deviceID: deviceID, channel: context.channel) {
                recordPresence(online: false, deviceID: deviceID, software: "", remote: "")
            }
            logger.info("Agent disconnected", metadata: ["device.id": "\(deviceID)"])
        case .waitingForAgent(let session):
            relay.broker.sideEnded(sessionID: session.id, side: .client, bytes: 0, reason: reason)
        case .forwarding(let sessionID, let side, _):
            relay.broker.sideEnded(sessionID: sessionID, side: side, bytes: bytes, reason: reason)
        case .awaitingHello, .authenticating, .closed:
            break
        }
        state = .closed
        context.fireChannelInactive()
    }

    // MARK: - Forwarding

    private func forward(
        _ context: ChannelHandlerContext, _ message: TunnelMessage, from side: SessionBroker.Side, to partner: any Channel
    ) {
        switch (message, side) {
        case (.serialData(let data), .client) where monitorFilter != nil:
            let (allowed, dropped) = monitorFilter!.filter(data)
            for line in dropped {
                logger.notice("Monitor request dropped", metadata: ["line": "\(line.line)", "reason": "\(line.reason)"])
            }
            guard allowed.readableBytes > 0 else { return }
            bytes &+= UInt64(allowed.readableBytes)
            capture?.record(.toDevice, allowed)
            partner.write(TunnelMessage.serialData(allowed), promise: nil)
        case (.serialData(let data), _):
            bytes &+= UInt64(data.readableBytes)
            capture?.record(side == .client ? .toDevice : .fromDevice, data)
            partner.write(message, promise: nil)
        case (.serialControl, .client), (.serialControlResult, .agent), (.serialState, .agent):
            partner.write(message, promise: nil)
        case (.goingAway(let reason), _):
            peerLeft(context, reason)
        default:
            refuse(context, .unexpectedFrame, "\(message.frameType) from the \(side) side is not allowed on a session's data connection")
        }
    }

    private func peerLeft(_ context: ChannelHandlerContext, _ reason: TunnelMessage.GoingAway) {
        // The peer's words go to the session's record and audit: bounded like every audit reason.
        endReason = reason.message.isEmpty ? reason.code.summary : AuditEntry.bounded(reason.message, AuditEntry.maxReasonBytes)
        context.close(promise: nil)
    }

    private func refuse(_ context: ChannelHandlerContext, _ code: TunnelErrorCode, _ message: String) {
        if case .closed = state { return }
        if Self.authenticationCodes.contains(code), let source = context.channel.remoteAddress?.ipAddress {
            relay.limiter.withLockedValue { $0.authenticationFailed(from: source, now: .now()) }
            relay.metrics.tunnelAuthFailures.increment()
        }
        logger.info("Closing connection", metadata: ["code": "\(code)", "reason": "\(message)"])
        endReason = endReason ?? message
        context.closeWithGoingAway(code, message)
    }

    /// The handshake timer fired before TLS was up: a `GOING_AWAY` could not be sent (TLS holds
    /// it back until a handshake the peer is not finishing), so the connection closes at once,
    /// at the timeout PROTOCOL.md gives, instead of after the going-away grace on top of it.
    private func cutUnfinishedTLS(_ context: ChannelHandlerContext) {
        let message = "TLS handshake not finished within the handshake timeout"
        logger.info("Closing connection", metadata: ["code": "\(TunnelErrorCode.handshakeTimeout)", "reason": "\(message)"])
        endReason = endReason ?? message
        context.close(promise: nil)
    }

    // MARK: - Agents

    private func authenticateAgent(_ context: ChannelHandlerContext, _ hello: TunnelMessage.Hello) {
        let identity: AgentCertificateIdentity
        do {
            identity = try AgentCertificateIdentity(of: context.pipeline.syncOperations)
        } catch {
            return refuse(context, .authenticationFailed, "\(error)")
        }
        let deviceID = identity.deviceID
        let store = relay.store
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.makeFutureWithTask { try await store.device(id: deviceID) }.whenComplete { result in
            let (handler, context) = loopBound.value
            guard handler.stillAuthenticating(context) else { return }
            switch result.map({ AgentAdmission.decide(deviceID: deviceID, serial: identity.serial, record: $0) }) {
            case .failure(let error):
                handler.refuse(context, .authenticationFailed, "device lookup failed: \(error)")
            case .success(.refuse(let code, let message)):
                handler.refuseAgent(context, deviceID: deviceID, code, message)
            case .success(.admit(let renewedCertificateInUse)):
                handler.logger[metadataKey: "device.id"] = "\(deviceID)"
                if renewedCertificateInUse {
                    handler.renewals.promote(deviceID: deviceID, serial: identity.serial, logger: handler.logger)
                }
                if hello.role == .agentControl {
                    handler.acceptAgentControl(context, deviceID: deviceID, software: hello.software)
                } else {
                    handler.acceptAgentData(context, deviceID: deviceID, sessionID: hello.sessionID)
                }
            }
        }
    }

    /// Refuses an agent and records it in the audit log.
    private func refuseAgent(_ context: ChannelHandlerContext, deviceID: String, _ code: TunnelErrorCode, _ message: String) {
        let entry = AuditEntry(
            at: Date(), event: .agentRefused, actor: "relay", deviceID: deviceID, reason: message,
            source: context.channel.remoteAddress?.ipAddress)
        let store = relay.store
        relay.writes.enqueue(key: "device:\(deviceID)", "Audit write") { try await store.appendAudit(entry) }
        refuse(context, code, message)
    }

    /// Presence in the store: which node holds the agent, from where, which version.
    private func recordPresence(online: Bool, deviceID: String, software: String, remote: String) {
        let store = relay.store
        let node = relay.configuration.nodeName
        let at = Date()
        relay.writes.enqueue(key: "device:\(deviceID)", "Presence update") {
            if online {
                try await store.markOnline(deviceID: deviceID, remoteAddress: remote, agentVersion: software, relayNode: node, at: at)
            } else {
                try await store.markOffline(deviceID: deviceID, relayNode: node, at: at)
            }
        }
    }

    private func acceptAgentControl(_ context: ChannelHandlerContext, deviceID: String, software: String) {
        state = .agentControl(deviceID: deviceID)
        handshakeTimer?.cancel()
        let entry = AgentDirectory.Entry(
            deviceID: deviceID, channel: context.channel, software: software, connectedAt: Date())
        if let old = relay.agents.register(entry) {
            old.channel.closeWithGoingAway(.replaced, "a newer control connection of \(deviceID) arrived")
        }
        logger.info("Agent connected", metadata: ["software": "\(software)"])
        relay.metrics.handshakesAgent.increment()
        recordPresence(
            online: true, deviceID: deviceID, software: software,
            remote: context.channel.remoteAddress.map { "\($0)" } ?? "")
        context.write(wrapOutboundOut(.welcome(.init(identity: deviceID, pingIntervalMilliseconds: pingMilliseconds))), promise: nil)
        for open in relay.broker.sessionsWaiting(for: deviceID) {
            context.write(wrapOutboundOut(.openSession(open)), promise: nil)
        }
        context.flush()
    }

    private func acceptAgentData(_ context: ChannelHandlerContext, deviceID: String, sessionID: String) {
        switch relay.broker.agentArrived(sessionID: sessionID, deviceID: deviceID, agent: context.channel) {
        case .success(let (client, capture)):
            handshakeTimer?.cancel()
            state = .forwarding(sessionID: sessionID, side: .agent, partner: client)
            self.capture = capture
            context.writeAndFlush(
                wrapOutboundOut(.welcome(.init(identity: sessionID, pingIntervalMilliseconds: pingMilliseconds))), promise: nil)
        case .failure(let refusal):
            refuse(context, refusal.code, refusal.message)
        }
    }

    private func agentControlRead(_ context: ChannelHandlerContext, deviceID: String, _ message: TunnelMessage) {
        switch message {
        case .closeSession(let close):
            guard TunnelIdentifier.isValid(close.sessionID) else {
                return refuse(
                    context, .invalidIdentifier,
                    "CLOSE_SESSION session ID \(close.sessionID.prefix(40).debugDescription) is not a session ID")
            }
            relay.broker.agentRefused(
                sessionID: close.sessionID, deviceID: deviceID, code: close.code,
                message: AuditEntry.bounded(close.message, AuditEntry.maxReasonBytes))
        case .goingAway(let reason):
            peerLeft(context, reason)
        case .telemetry(let record):
            relay.telemetry.received(deviceID: deviceID, record: Array(buffer: record))
        case .renewCertificate(let request):
            renewals.answer(request, deviceID: deviceID, on: context.channel, now: .now(), logger: logger)
        case .certificateInstalled(let serial):
            renewals.promote(deviceID: deviceID, serial: serial, logger: logger)
        default:
            refuse(context, .unexpectedFrame, "\(message.frameType) is not allowed on an agent's control connection")
        }
    }

    // MARK: - Clients

    private func authenticateClient(_ context: ChannelHandlerContext, _ hello: TunnelMessage.Hello) {
        guard let token = SessionToken(parsing: hello.credential) else {
            return refuse(context, .tokenUnknown, "the session token is not of the form st1.<id>.<secret>")
        }
        let store = relay.store
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.makeFutureWithTask {
            try await store.claimSession(id: token.sessionID, secretHash: token.secretHash, now: Date())
        }.whenComplete { result in
            let (handler, context) = loopBound.value
            guard handler.stillAuthenticating(context) else { return }
            switch result {
            case .failure(let error):
                handler.refuse(context, .authenticationFailed, "session lookup failed: \(error)")
            case .success(.unknown):
                handler.refuse(context, .tokenUnknown, "no session matches this token")
            case .success(.expired):
                handler.refuse(context, .tokenExpired, "the session token has expired; ask for a new session")
            case .success(.used):
                handler.refuse(context, .tokenUsed, "the session token was already used; tokens work once")
            case .success(.claimed(let session)):
                handler.acceptClient(context, session)
            }
        }
    }

    private func acceptClient(_ context: ChannelHandlerContext, _ session: SessionRecord) {
        handshakeTimer?.cancel()
        state = .waitingForAgent(session)
        logger[metadataKey: "session.id"] = "\(session.id)"
        logger.info("Client claimed session", metadata: ["device.id": "\(session.deviceID)", "mode": "\(session.mode)"])
        relay.metrics.handshakesClient.increment()
        context.write(wrapOutboundOut(.welcome(.init(identity: session.id, pingIntervalMilliseconds: pingMilliseconds))), promise: nil)
        context.writeAndFlush(
            wrapOutboundOut(
                .sessionStatus(
                    .init(
                        state: .waitingForAgent, deviceID: session.deviceID, mode: session.mode))), promise: nil)
        if let refusal = relay.broker.clientArrived(session, client: context.channel) {
            state = .closed
            endReason = refusal.message
            context.closeWithGoingAway(refusal.code, refusal.message)
        }
    }

    /// Refusals that count against the source's failed-authentication budget.
    private static let authenticationCodes: Set<TunnelErrorCode> = [
        .authenticationFailed, .tokenUnknown, .tokenExpired, .tokenUsed, .deviceUnknown, .deviceRevoked,
    ]

    /// False when the connection closed (or timed out) while the store was being asked.
    private func stillAuthenticating(_ context: ChannelHandlerContext) -> Bool {
        guard case .authenticating = state else { return false }
        return context.channel.isActive
    }

    private var pingMilliseconds: UInt32 {
        UInt32(relay.configuration.pingInterval.nanoseconds / 1_000_000)
    }
}
