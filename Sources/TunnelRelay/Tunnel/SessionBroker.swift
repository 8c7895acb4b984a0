import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SharedWire
import TunnelTransport

/// Pairs each claimed client session with its agent's data connection, and ends sessions.
///
/// A session is *pending* from the client's claim until the agent dials in for it, then
/// *active* until either side goes. All state sits behind one lock; channel work is done
/// outside it through the thread-safe `Channel` API.
public final class SessionBroker: Sendable {
    /// Told to the client's handler when its agent arrived.
    struct Paired {
        let agent: any Channel
        let capture: SessionCapture?
        let tap: SessionTap
    }

    private struct Pending {
        let session: SessionRecord
        let client: any Channel
        let timeout: Scheduled<Void>
    }

    private struct Active {
        let session: SessionRecord
        let client: any Channel
        let agent: any Channel
        let capture: SessionCapture?
        let tap: SessionTap
        var bytesToDevice: UInt64 = 0
        var bytesFromDevice: UInt64 = 0
        var endedSides = 0
        var reason: String?
    }

    private struct State {
        var pending: [String: Pending] = [:]
        var active: [String: Active] = [:]
        /// Agent data connections this node carries to another node (the session is that
        /// node's), by session: closed at shutdown like the sessions run here.
        var carried: [String: any Channel] = [:]
    }

    /// Which side of a session a connection is.
    enum Side { case client, agent }

    private let state = NIOLockedValueBox(State())
    private let agents: AgentDirectory
    private let store: any RelayStore
    private let writes: StoreWrites
    private let setupTimeout: TimeAmount
    /// Where session captures go, when the relay records them.
    private let captureDirectory: String?
    private let metrics: RelayMetrics
    /// Puts an agent's data connection on its client's event loop, when it can.
    private let steering: AcceptSteering?
    /// The other nodes of a cluster, when this node has a node listener.
    private let nodes: NodeLinks?
    private let logger: Logger

    init(
        agents: AgentDirectory, store: any RelayStore, writes: StoreWrites, setupTimeout: TimeAmount, captureDirectory: String?,
        metrics: RelayMetrics,
        steering: AcceptSteering? = nil, nodes: NodeLinks? = nil, logger: Logger
    ) {
        self.steering = steering
        self.nodes = nodes
        self.metrics = metrics
        self.agents = agents
        self.store = store
        self.writes = writes
        self.setupTimeout = setupTimeout
        self.captureDirectory = captureDirectory
        self.logger = logger
    }

    public var activeCount: Int { state.withLockedValue { $0.active.count } }

    /// Agent data connections carried to other nodes now.
    public var carriedCount: Int { state.withLockedValue { $0.carried.count } }

    /// This node carries the agent data connection `agent` of `sessionID` to another node.
    func carrying(sessionID: String, agent: any Channel) {
        state.withLockedValue { $0.carried[sessionID] = agent }
    }

    /// The carried agent data connection of `sessionID` ended.
    func carriedEnded(sessionID: String) {
        state.withLockedValue { $0.carried[sessionID] = nil }
    }

    /// Who holds a control session on `deviceID` now, and since when.
    public func controlHolder(deviceID: String) -> (user: String, since: Date?)? {
        state.withLockedValue { state in
            state.active.values.first { $0.session.deviceID == deviceID && $0.session.mode == .control }
                .map { ($0.session.createdBy, $0.session.claimedAt) }
        }
    }

    /// A client claimed `session`. Refuses a second control session for a device; otherwise
    /// asks the agent (now, or when it connects) to dial in.
    func clientArrived(_ session: SessionRecord, client: any Channel) -> TunnelMessage.GoingAway? {
        let deviceID = session.deviceID
        let timeout = client.eventLoop.scheduleTask(in: setupTimeout) { [self] in
            if removePending(session.id) != nil {
                let reason = "agent of device \(deviceID) did not answer in time"
                client.closeWithGoingAway(.agentOffline, reason)
                record(session, reason: reason, toDevice: 0, fromDevice: 0)
            }
        }
        var displaced: [any Channel] = []
        var displacedStarting: [Pending] = []
        let refusal: TunnelMessage.GoingAway? = state.withLockedValue { state in
            let sameDevice = state.pending.values.filter { $0.session.deviceID == deviceID }
            if sameDevice.count >= RelayLimits.maxPendingSessionsPerDevice {
                return .init(code: .limitReached, message: "too many sessions waiting for device \(deviceID)")
            }
            if session.mode == .control {
                let holders = state.active.values.filter { $0.session.deviceID == deviceID && $0.session.mode == .control }
                if let holder = holders.first, !session.takeOver {
                    return .init(
                        code: .serialBusy,
                        message:
                            "device \(deviceID) has a control session by \(holder.session.createdBy) since \(holder.session.claimedAt.map { "\($0)" } ?? "now")"
                    )
                }
                let starting = sameDevice.filter { $0.session.mode == .control }
                if !starting.isEmpty, !session.takeOver {
                    return .init(code: .serialBusy, message: "device \(deviceID) has a control session starting")
                }
                displaced = holders.map(\.client) + starting.map(\.client)
                displacedStarting = starting
                for pending in starting { state.pending[pending.session.id] = nil }
            }
            state.pending[session.id] = Pending(session: session, client: client, timeout: timeout)
            return nil
        }
        if let refusal {
            timeout.cancel()
            record(session, reason: "refused: \(refusal.message)", toDevice: 0, fromDevice: 0)
            return refusal
        }
        let takeOverReason = "\(session.createdBy) (administrator) took over the control session"
        for client in displaced {
            client.closeWithGoingAway(.sessionTakenOver, takeOverReason)
        }
        for pending in displacedStarting {
            // Active holders are recorded when their sides close; these never paired.
            pending.timeout.cancel()
            record(pending.session, reason: takeOverReason, toDevice: 0, fromDevice: 0)
        }
        if let agent = agents.entry(deviceID: deviceID) {
            agent.channel.writeAndFlush(TunnelMessage.openSession(Self.open(session)), promise: nil)
            steering?.nextAccept(on: client.eventLoop)
        } else {
            openElsewhere(session, on: client.eventLoop)
        }
        return nil
    }

    /// How often a session waiting here for an agent that no node could be asked about (none
    /// held it, or its node did not take the request) asks again: the agent may have
    /// connected to another node meanwhile.
    static let openElsewhereRetry = TimeAmount.seconds(1)

    /// Asks the node holding the session's agent to open it; asks again every
    /// `openElsewhereRetry` while the session waits and no node has taken the request.
    private func openElsewhere(_ session: SessionRecord, on eventLoop: any EventLoop) {
        guard let nodes else { return }
        // The agent's data connection comes back as a link the node listener accepts (this
        // node's own link to the other is dialled, not accepted): beside the client, if it can.
        steering?.nextAccept(on: eventLoop)
        nodes.openElsewhere(session, on: eventLoop) { [self] opened in
            guard !opened, isWaiting(sessionID: session.id), agents.entry(deviceID: session.deviceID) == nil else { return }
            eventLoop.scheduleTask(in: Self.openElsewhereRetry) { [self] in
                guard isWaiting(sessionID: session.id), agents.entry(deviceID: session.deviceID) == nil else { return }
                openElsewhere(session, on: eventLoop)
            }
        }
    }

    /// Whether a client here waits for the agent's data connection of `sessionID`.
    func isWaiting(sessionID: String) -> Bool {
        state.withLockedValue { $0.pending[sessionID] != nil }
    }

    /// An agent's control connection came up: the sessions waiting for it.
    func sessionsWaiting(for deviceID: String) -> [TunnelMessage.OpenSession] {
        state.withLockedValue { state in
            state.pending.values.filter { $0.session.deviceID == deviceID }.map { Self.open($0.session) }
        }
    }

    /// The agent of `deviceID` dialled in for `sessionID`. Returns the client channel to pair
    /// with, or the refusal.
    func agentArrived(
        sessionID: String, deviceID: String, agent: any Channel
    ) -> Result<(client: any Channel, capture: SessionCapture?, tap: SessionTap), TunnelProtocolError> {
        // The capture is named after the session the relay made (its store row), never after
        // the agent's words, and only for a session that is waiting for this very agent.
        let waiting = state.withLockedValue { state in state.pending[sessionID]?.session }
        let capture = waiting.flatMap { session in session.deviceID == deviceID ? startCapture(sessionID: session.id) : nil }
        let result: Result<(Pending, SessionTap), TunnelProtocolError> = state.withLockedValue { state in
            guard let pending = state.pending[sessionID] else {
                return .failure(TunnelProtocolError(.sessionEnded, "session \(sessionID) is not waiting for an agent"))
            }
            guard pending.session.deviceID == deviceID else {
                return .failure(TunnelProtocolError(.authenticationFailed, "session \(sessionID) belongs to another device"))
            }
            state.pending[sessionID] = nil
            let tap = SessionTap(client: pending.client)
            state.active[sessionID] = Active(
                session: pending.session, client: pending.client, agent: agent, capture: capture, tap: tap)
            return .success((pending, tap))
        }
        switch result {
        case .success(let (pending, tap)):
            pending.timeout.cancel()
            pending.client.pipeline.fireUserInboundEventTriggered(Paired(agent: agent, capture: capture, tap: tap))
            logger.info(
                "Session paired",
                metadata: [
                    "session.id": "\(sessionID)", "device.id": "\(deviceID)",
                    // One loop for both sides: frames cross without a hand-over between threads.
                    "one_loop": "\(pending.client.eventLoop === agent.eventLoop)",
                ])
            return .success((pending.client, capture, tap))
        case .failure(let refusal):
            capture?.finish()
            return .failure(refusal)
        }
    }

    /// The tap of a session running on this node (its client's node), for watchers.
    func tap(sessionID: String) -> SessionTap? {
        state.withLockedValue { $0.active[sessionID]?.tap }
    }

    /// A capture for a session being paired, when the relay records sessions.
    private func startCapture(sessionID: String) -> SessionCapture? {
        guard let directory = captureDirectory else { return nil }
        guard TunnelIdentifier.isValid(sessionID) else {
            logger.error(
                "Session capture refused: the session ID is not a file name", metadata: ["session.id": "\(sessionID.debugDescription)"])
            return nil
        }
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            return try SessionCapture.start(path: "\(directory)/\(sessionID).jsonl", logger: logger)
        } catch {
            logger.error("Session capture failed to start", metadata: ["session.id": "\(sessionID)", "error": "\(error)"])
            return nil
        }
    }

    /// The agent could not start the session (serial port busy or missing): tell the client.
    /// False when no client here waits for that session (it may wait on another node).
    @discardableResult
    func agentRefused(sessionID: String, deviceID: String, code: TunnelErrorCode, message: String) -> Bool {
        let pending = state.withLockedValue { state -> Pending? in
            guard state.pending[sessionID]?.session.deviceID == deviceID else { return nil }
            return state.pending.removeValue(forKey: sessionID)
        }
        guard let pending else { return false }
        pending.timeout.cancel()
        pending.client.closeWithGoingAway(code, message.isEmpty ? code.summary : message)
        record(pending.session, reason: "agent refused: \(message.isEmpty ? code.summary : message)", toDevice: 0, fromDevice: 0)
        return true
    }

    /// One side of a session closed: close the other with the reason, record the end once
    /// both are gone. A client that leaves while still pending just ends the session.
    func sideEnded(sessionID: String, side: Side, bytes: UInt64, reason: String) {
        if let pending = removePending(sessionID) {
            record(pending.session, reason: reason, toDevice: 0, fromDevice: 0)
            return
        }
        let outcome = state.withLockedValue { state -> (partner: (any Channel)?, finished: Active?) in
            guard var active = state.active[sessionID] else { return (nil, nil) }
            switch side {
            case .client: active.bytesToDevice = bytes
            case .agent: active.bytesFromDevice = bytes
            }
            active.endedSides += 1
            if active.reason == nil { active.reason = reason }
            if active.endedSides == 2 {
                state.active[sessionID] = nil
                return (nil, active)
            }
            state.active[sessionID] = active
            return (side == .client ? active.agent : active.client, nil)
        }
        if let partner = outcome.partner {
            switch side {
            case .client: partner.closeWithGoingAway(.peerClosed, "the Control Panel client left: \(reason)")
            case .agent: partner.closeWithGoingAway(.agentLost, "the agent's connection ended: \(reason)")
            }
        }
        if let finished = outcome.finished {
            finished.capture?.finish()
            finished.tap.finish()
            record(
                finished.session, reason: finished.reason ?? reason,
                toDevice: finished.bytesToDevice, fromDevice: finished.bytesFromDevice)
        }
    }

    /// Ends every session of one device, waiting or running (revocation).
    func closeSessions(deviceID: String, code: TunnelErrorCode, message: String) {
        let (waiting, running) = state.withLockedValue { state -> ([Pending], [Active]) in
            let waiting = state.pending.values.filter { $0.session.deviceID == deviceID }
            for pending in waiting { state.pending[pending.session.id] = nil }
            return (waiting, state.active.values.filter { $0.session.deviceID == deviceID })
        }
        for pending in waiting {
            pending.timeout.cancel()
            pending.client.closeWithGoingAway(code, message)
            record(pending.session, reason: message, toDevice: 0, fromDevice: 0)
        }
        for active in running {
            active.client.closeWithGoingAway(code, message)
            active.agent.closeWithGoingAway(code, message)
        }
    }

    /// Ends one session, waiting or running; false when this relay has no such session.
    @discardableResult
    func closeSession(id: String, code: TunnelErrorCode, message: String) -> Bool {
        let (waiting, running) = state.withLockedValue { state -> (Pending?, Active?) in
            if state.active[id] != nil, state.active[id]?.reason == nil { state.active[id]?.reason = message }  // the recorded reason
            return (state.pending.removeValue(forKey: id), state.active[id])
        }
        if let waiting {
            waiting.timeout.cancel()
            waiting.client.closeWithGoingAway(code, message)
            record(waiting.session, reason: message, toDevice: 0, fromDevice: 0)
        }
        if let running {
            running.client.closeWithGoingAway(code, message)
            running.agent.closeWithGoingAway(code, message)
        }
        return waiting != nil || running != nil
    }

    /// Ends the sessions still waiting for their agent, for shutdown.
    /// Returns the clients' close futures.
    @discardableResult
    func closePending(code: TunnelErrorCode, message: String) -> [EventLoopFuture<Void>] {
        let waiting = state.withLockedValue { state -> [Pending] in
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        return waiting.map { pending in
            pending.timeout.cancel()
            record(pending.session, reason: message, toDevice: 0, fromDevice: 0)
            return pending.client.closeWithGoingAway(code, message)
        }
    }

    /// Closes every session, for shutdown. Returns the connections' close futures.
    @discardableResult
    func closeAll(code: TunnelErrorCode, message: String) -> [EventLoopFuture<Void>] {
        let channels = state.withLockedValue { state in
            state.pending.values.map(\.client) + state.active.values.flatMap { [$0.client, $0.agent] } + state.carried.values
        }
        return channels.map { $0.closeWithGoingAway(code, message) }
    }

    private func removePending(_ sessionID: String) -> Pending? {
        let removed = state.withLockedValue { $0.pending.removeValue(forKey: sessionID) }
        removed?.timeout.cancel()
        return removed
    }

    private func record(_ session: SessionRecord, reason: String, toDevice: UInt64, fromDevice: UInt64) {
        let store = self.store
        let logger = self.logger
        let ending = SessionEnding(endedAt: Date(), reason: reason, bytesToDevice: toDevice, bytesFromDevice: fromDevice)
        metrics.bytesToDevice.increment(by: Int64(clamping: toDevice))
        metrics.bytesFromDevice.increment(by: Int64(clamping: fromDevice))
        logger.info(
            "Session ended",
            metadata: [
                "session.id": "\(session.id)", "device.id": "\(session.deviceID)", "reason": "\(reason)",
                "bytes.to_device": "\(toDevice)", "bytes.from_device": "\(fromDevice)",
            ])
        writes.enqueue(key: "session:\(session.id)", "Recording session end") {
            try await store.endSession(id: session.id, ending: ending)
        }
    }

    static func open(_ session: SessionRecord) -> TunnelMessage.OpenSession {
        TunnelMessage.OpenSession(sessionID: session.id, mode: session.mode, serial: SerialParameters(), takeOver: session.takeOver)
    }
}
