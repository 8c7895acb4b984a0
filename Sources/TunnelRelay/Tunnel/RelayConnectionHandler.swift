import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOTLS
import SharedWire
import TunnelTransport

/// One connection to the relay, from its `HELLO` to its close. The rules are
/// `RelayConnection`'s; this handler feeds it what happens on the channel and carries out
/// what it answers: writes, closes, store lookups and the broker's pairing.
final class RelayConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = TunnelMessage
    typealias OutboundOut = TunnelMessage

    let relay: RelayContext
    var connection: RelayConnection<any Channel>
    var handshakeTimer: Scheduled<Void>?
    /// The epoch of this connection's claim of its device's presence, once the store has
    /// answered; its later presence writes carry it, so they lose to any newer claim.
    private let presenceEpoch = NIOLockedValueBox<Int64?>(nil)
    private var logger: Logger
    /// The session's capture, when the relay records sessions.
    private var capture: SessionCapture?
    /// The session's watchers in the browser.
    private var tap: SessionTap?
    /// Certificate requests of an agent's control connection.
    private var renewals: CertificateRenewalDesk
    /// The link to the session's client node, when this agent data connection is carried there.
    private var nodeLink: (any Channel)?

    init(relay: RelayContext, listener: RelayConnection<any Channel>.Listener = .tunnel) {
        self.relay = relay
        self.connection = RelayConnection(listener: listener)
        self.logger = relay.logger
        self.renewals = CertificateRenewalDesk(renewer: relay.renewer, writes: relay.writes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        handshakeTimer = context.eventLoop.scheduleTask(in: relay.configuration.handshakeTimeout) {
            let (handler, context) = loopBound.value
            handler.perform(handler.connection.handshakeTimedOut(), context)
        }
    }

    /// The connection starts once a PROXY protocol header, if the listener expects one, is read.
    func channelActive(context: ChannelHandlerContext) {
        logger[metadataKey: "peer"] = "\(context.channel.clientAddress.map { "\($0)" } ?? "?")"
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        perform(connection.received(unwrapInboundIn(data)), context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        connection.partner?.flush()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection.partner?.setOption(ChannelOptions.autoRead, value: context.channel.isWritable).whenFailure { _ in }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted? = event as? TLSUserEvent { connection.tlsHandshakeCompleted() }
        guard let paired = event as? SessionBroker.Paired else { return context.fireUserInboundEventTriggered(event) }
        capture = paired.capture
        tap = paired.tap
        perform(connection.paired(with: paired.agent), context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let (code, message) = error.tunnelClosing
        logger.info("Connection error", metadata: ["error": "\(error)"])
        perform(connection.failed(code, message), context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        perform(connection.closed(), context)
        context.fireChannelInactive()
    }

    // MARK: - Carrying out the state machine's actions

    func perform(_ action: RelayConnection<any Channel>.Action, _ context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .forward(let message, let partner, let direction):
            if let direction, case .serialData(let data) = message {
                capture?.record(direction, data)
                tap?.observe(direction, data)
            }
            partner.write(message, promise: nil)
        case .forwardMonitored(let allowed, let dropped, let partner):
            for line in dropped {
                logger.notice("Monitor request dropped", metadata: ["line": "\(line.line)", "reason": "\(line.reason)"])
            }
            if let allowed {
                capture?.record(.toDevice, allowed)
                tap?.observe(.toDevice, allowed)
                partner.write(TunnelMessage.serialData(allowed), promise: nil)
            }
        case .dropBeforePairing(let frameType):
            logger.debug("Dropped client frame before pairing", metadata: ["frame": "\(frameType)"])
        case .refuse(let refusal):
            refuse(context, refusal)
        case .refuseAgent(let deviceID, let refusal):
            auditAgentRefusal(context, deviceID: deviceID, refusal.message)
            refuse(context, refusal)
        case .close:
            context.close(promise: nil)
        case .cutUnfinishedTLS:
            logger.info(
                "Closing connection",
                metadata: ["code": "\(TunnelErrorCode.handshakeTimeout)", "reason": "\(connection.endReason ?? "")"])
            context.close(promise: nil)
        case .authenticateAgent:
            authenticateAgent(context)
        case .claimSession(let token):
            claimSession(context, token)
        case .acceptAgentControl(let deviceID, let software, let promoteSerial):
            acceptAgentControl(context, deviceID: deviceID, software: software, promoteSerial: promoteSerial)
        case .joinSession(let deviceID, let sessionID, let promoteSerial, let fromNode):
            admitted(deviceID: deviceID, promoteSerial: promoteSerial)
            if !fromNode, let nodes = relay.nodes, !relay.broker.isWaiting(sessionID: sessionID) {
                return carryToClientNode(context, nodes: nodes, deviceID: deviceID, sessionID: sessionID)
            }
            let joined = relay.broker.agentArrived(sessionID: sessionID, deviceID: deviceID, agent: context.channel).map {
                client, capture, tap in
                self.capture = capture
                self.tap = tap
                return client
            }
            if fromNode, case .success = joined { relay.metrics.crossNodeSessions.increment() }
            perform(connection.agentJoined(sessionID: sessionID, joined), context)
        case .openForNode(let sessionID, let deviceID):
            openForNode(context, sessionID: sessionID, deviceID: deviceID)
        case .feedTelemetry(let deviceID):
            feedTelemetry(context, deviceID: deviceID)
        case .feedWatch(let sessionID, let user):
            feedWatch(context, sessionID: sessionID, user: user)
        case .feedCapture(let sessionID, let deviceID):
            feedCapture(context, sessionID: sessionID, deviceID: deviceID)
        case .welcomeNodeAndClose(let sessionID):
            handshakeTimer?.cancel()
            let channel = context.channel
            context.writeAndFlush(
                wrapOutboundOut(.welcome(.init(identity: sessionID, pingIntervalMilliseconds: pingMilliseconds)))
            ).whenComplete { _ in channel.close(promise: nil) }
        case .welcomeAgentData(let sessionID):
            handshakeTimer?.cancel()
            context.writeAndFlush(
                wrapOutboundOut(.welcome(.init(identity: sessionID, pingIntervalMilliseconds: pingMilliseconds))), promise: nil)
        case .acceptClient(let session):
            acceptClient(context, session)
        case .startSession(let session, let monitor):
            if monitor {
                try? context.pipeline.syncOperations.addHandler(
                    MonitorControlHandler(
                        session: session, source: context.channel.clientAddress?.ipAddress, store: relay.store, writes: relay.writes,
                        logger: logger),
                    position: .before(self))
            }
            context.writeAndFlush(
                wrapOutboundOut(.sessionStatus(.init(state: .connected, deviceID: session.deviceID, mode: session.mode))), promise: nil)
        case .agentRefusedSession(let sessionID, let deviceID, let code, let message):
            if !relay.broker.agentRefused(sessionID: sessionID, deviceID: deviceID, code: code, message: message) {
                relay.nodes?.passRefusal(sessionID: sessionID, deviceID: deviceID, code: code, message: message, writes: relay.writes)
            }
        case .telemetry(let deviceID, let record):
            if let firmware = relay.telemetry.received(deviceID: deviceID, record: Array(buffer: record)) {
                let store = relay.store
                relay.writes.enqueue(key: "device:\(deviceID)", "Firmware version") {
                    try await store.recordFirmwareVersion(deviceID: deviceID, version: firmware)
                }
            }
        case .renewCertificate(let request, let deviceID):
            renewals.answer(request, deviceID: deviceID, on: context.channel, now: .now(), logger: logger)
        case .certificateInstalled(let deviceID, let serial):
            renewals.promote(deviceID: deviceID, serial: serial, logger: logger)
        case .diagnosticData(let deviceID, let piece):
            relay.diagnostics.received(piece, from: deviceID)
        case .diagnosticEnd(let deviceID, let end):
            relay.diagnostics.ended(end, from: deviceID)
        case .agentGone(let deviceID):
            if relay.agents.remove(deviceID: deviceID, channel: context.channel) {
                recordPresence(online: false, deviceID: deviceID, software: "", remote: "")
                relay.diagnostics.agentGone(deviceID: deviceID)
            }
            logger.info("Agent disconnected", metadata: ["device.id": "\(deviceID)"])
        case .sessionSideEnded(let sessionID, let side, let bytes, let reason):
            if let link = nodeLink {
                // The session is recorded on the client's node; this one only tells it the agent left.
                relay.metrics.nodeBytesFromAgent.increment(by: Int64(clamping: bytes))
                relay.broker.carriedEnded(sessionID: sessionID)
                // The client's node words it ("the agent's connection ended: …") as for its own agents.
                link.closeWithGoingAway(.agentLost, reason)
                return
            }
            relay.broker.sideEnded(sessionID: sessionID, side: side, bytes: bytes, reason: reason)
        }
    }

    func refuse(_ context: ChannelHandlerContext, _ refusal: RelayRefusal) {
        if refusal.countsAgainstSource, let source = context.channel.clientAddress?.ipAddress {
            relay.limiter.withLockedValue { $0.authenticationFailed(from: source, now: .now()) }
            relay.metrics.tunnelAuthFailures.increment()
        }
        logger.info("Closing connection", metadata: ["code": "\(refusal.code)", "reason": "\(refusal.message)"])
        context.closeWithGoingAway(refusal.code, refusal.message)
    }

    // MARK: - Agents

    private func authenticateAgent(_ context: ChannelHandlerContext) {
        let identity: AgentCertificateIdentity
        do {
            identity = try AgentCertificateIdentity(of: context.pipeline.syncOperations)
        } catch {
            return perform(connection.agentCertificateRefused("\(error)"), context)
        }
        let store = relay.store
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.makeFutureWithTask { try await store.device(id: identity.deviceID) }.whenComplete { result in
            let (handler, context) = loopBound.value
            handler.perform(
                handler.connection.agentLookedUp(deviceID: identity.deviceID, serial: identity.serial, lookup: result), context)
        }
    }

    /// Writes an agent's refusal to the audit log.
    private func auditAgentRefusal(_ context: ChannelHandlerContext, deviceID: String, _ message: String) {
        let entry = AuditEntry(
            at: Date(), event: .agentRefused, actor: "relay", deviceID: deviceID, reason: message,
            source: context.channel.clientAddress?.ipAddress)
        let store = relay.store
        relay.writes.enqueue(key: "device:\(deviceID)", "Audit write") { try await store.appendAudit(entry) }
    }

    /// An admitted agent: its device in the log lines, and its renewed certificate made current.
    private func admitted(deviceID: String, promoteSerial: String?) {
        logger[metadataKey: "device.id"] = "\(deviceID)"
        if let promoteSerial { renewals.promote(deviceID: deviceID, serial: promoteSerial, logger: logger) }
    }

    /// Presence in the store: which node holds the agent, from where, which version. Going
    /// online claims the device with a new epoch; going offline applies only while that claim
    /// is the newest (the writes of one device run in order, so the claim has been answered).
    private func recordPresence(online: Bool, deviceID: String, software: String, remote: String) {
        let store = relay.store
        let node = relay.configuration.nodeName
        let at = Date()
        let epoch = presenceEpoch
        relay.writes.enqueue(key: "device:\(deviceID)", "Presence update") {
            if online {
                let claimed = try await store.markOnline(
                    deviceID: deviceID, remoteAddress: remote, agentVersion: software, relayNode: node, at: at)
                epoch.withLockedValue { $0 = claimed }
            } else if let claimed = epoch.withLockedValue({ $0 }) {
                try await store.markOffline(deviceID: deviceID, epoch: claimed, at: at)
            }
        }
    }

    private func acceptAgentControl(_ context: ChannelHandlerContext, deviceID: String, software: String, promoteSerial: String?) {
        admitted(deviceID: deviceID, promoteSerial: promoteSerial)
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
            remote: context.channel.clientAddress.map { "\($0)" } ?? "")
        context.write(wrapOutboundOut(.welcome(.init(identity: deviceID, pingIntervalMilliseconds: pingMilliseconds))), promise: nil)
        for open in relay.broker.sessionsWaiting(for: deviceID) {
            context.write(wrapOutboundOut(.openSession(open)), promise: nil)
        }
        context.flush()
    }

    // MARK: - Other relay nodes

    /// An agent's data connection for a session claimed on another node: carried there.
    private func carryToClientNode(_ context: ChannelHandlerContext, nodes: NodeLinks, deviceID: String, sessionID: String) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        nodes.carryData(sessionID: sessionID, deviceID: deviceID, agent: context.channel).whenComplete { result in
            let (handler, context) = loopBound.value
            let joined = result.mapError { error in
                (error as? TunnelProtocolError)
                    ?? TunnelProtocolError(.sessionEnded, "the relay node of session \(sessionID)'s client did not take it: \(error)")
            }
            if case .success(let link) = joined {
                handler.nodeLink = link
                handler.relay.broker.carrying(sessionID: sessionID, agent: context.channel)
                handler.logger.info(
                    "Agent data connection carried to the client's node",
                    metadata: ["session.id": "\(sessionID)", "node.address": "\(link.remoteAddress.map { "\($0)" } ?? "?")"])
            }
            handler.perform(handler.connection.agentJoined(sessionID: sessionID, joined), context)
            // The agent's connection ended while the link was being made: the link goes too.
            if case .success(let link) = joined, handler.connection.partner == nil {
                link.closeWithGoingAway(.agentLost, "the agent's connection ended")
            }
        }
    }

    private func claimSession(_ context: ChannelHandlerContext, _ token: SessionToken) {
        let store = relay.store
        let node = relay.configuration.nodeName
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.makeFutureWithTask {
            try await store.claimSession(id: token.sessionID, secretHash: token.secretHash, now: Date(), node: node)
        }.whenComplete { result in
            let (handler, context) = loopBound.value
            handler.perform(handler.connection.sessionClaimed(result), context)
        }
    }

    private func acceptClient(_ context: ChannelHandlerContext, _ session: SessionRecord) {
        handshakeTimer?.cancel()
        logger[metadataKey: "session.id"] = "\(session.id)"
        logger.info("Client claimed session", metadata: ["device.id": "\(session.deviceID)", "mode": "\(session.mode)"])
        relay.metrics.handshakesClient.increment()
        context.write(wrapOutboundOut(.welcome(.init(identity: session.id, pingIntervalMilliseconds: pingMilliseconds))), promise: nil)
        context.writeAndFlush(
            wrapOutboundOut(.sessionStatus(.init(state: .waitingForAgent, deviceID: session.deviceID, mode: session.mode))),
            promise: nil)
        if let refusal = relay.broker.clientArrived(session, client: context.channel) {
            perform(connection.clientRefused(refusal), context)
        }
    }

    var pingMilliseconds: UInt32 {
        UInt32(relay.configuration.pingInterval.nanoseconds / 1_000_000)
    }
}
