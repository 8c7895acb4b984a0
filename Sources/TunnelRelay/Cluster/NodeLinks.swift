import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ProgramSupport
import SharedWire
import TunnelTransport

/// What a node asks of the other nodes of its cluster, over mutual TLS to their node listeners
/// (`--node-listen`; see docs/CLUSTER.md, "Pairing across nodes"):
///
/// - a client claimed a session here for an agent whose control connection another node holds:
///   that node is asked to send the agent `OPEN_SESSION` (role `nodeOpen`);
/// - an agent's data connection reached this node for a session whose client is on another
///   node: the data connection is carried there (role `nodeData`), and this node only passes
///   frames between the two.
///
/// Where the other nodes are comes from the store (`nodes`, with their leases), so a node
/// added or removed needs no change here.
final class NodeLinks: Sendable {
    let nodeName: String
    private let tls: NodeTLS
    private let store: any RelayStore
    private let metrics: RelayMetrics
    private let keepalive: KeepaliveHandler.Configuration
    private let logger: Logger

    init(
        nodeName: String, tls: NodeTLS, store: any RelayStore, metrics: RelayMetrics, keepalive: KeepaliveHandler.Configuration,
        logger: Logger
    ) {
        self.nodeName = nodeName
        self.tls = tls
        self.store = store
        self.metrics = metrics
        self.keepalive = keepalive
        self.logger = logger
    }

    /// The address of `node` when it is another node whose lease holds.
    func liveAddress(of node: String?) async throws -> String? {
        guard let node, node != nodeName else { return nil }
        return try await store.liveNodeAddress(name: node)
    }

    /// Asks the node holding the agent of `session` to send it `OPEN_SESSION`, then tells
    /// `done` whether a node did. No other live node holding it is a no (the agent may still
    /// connect here, where the session waits, or to another node: the caller asks again).
    func openElsewhere(_ session: SessionRecord, on eventLoop: any EventLoop, done: @escaping @Sendable (Bool) -> Void) {
        let logger = self.logger
        Task {
            do {
                let device = try await store.device(id: session.deviceID)
                guard let address = try await liveAddress(of: device?.presence.relayNode) else { return done(false) }
                let hello = TunnelMessage.Hello(
                    role: .nodeOpen, software: ProductVersion.software("tunnel-relay"), sessionID: session.id, credential: session.deviceID)
                let (channel, _) = try await dial(address, hello: hello, on: eventLoop) { NodeOpenAnswerHandler() }.get()
                channel.close(promise: nil)
                logger.debug(
                    "Session opened through another node",
                    metadata: ["session.id": "\(session.id)", "node": "\(device?.presence.relayNode ?? "")"])
                done(true)
            } catch {
                logger.info(
                    "Another node could not open the session; it waits for the agent",
                    metadata: ["session.id": "\(session.id)", "device.id": "\(session.deviceID)", "error": "\(error)"])
                done(false)
            }
        }
    }

    /// Carries the agent data connection `agent` of `sessionID` to the node where the session's
    /// client is; the future is the link to that node, once it accepted the session.
    func carryData(
        sessionID: String, deviceID: String, agent: any Channel
    ) -> EventLoopFuture<any Channel> {
        let eventLoop = agent.eventLoop
        let metrics = self.metrics
        return eventLoop.makeFutureWithTask { [self] in
            guard let session = try await store.session(id: sessionID), session.deviceID == deviceID,
                session.claimedAt != nil, session.ending == nil
            else {
                throw TunnelProtocolError(.sessionEnded, "session \(sessionID) is not waiting for an agent")
            }
            guard let address = try await liveAddress(of: session.clientNode) else {
                throw TunnelProtocolError(.sessionEnded, "session \(sessionID) is not waiting for an agent on any live node")
            }
            return address
        }.flatMap { [self] address in
            let hello = TunnelMessage.Hello(
                role: .nodeData, software: ProductVersion.software("tunnel-relay"), sessionID: sessionID, credential: deviceID)
            return dial(address, hello: hello, on: eventLoop) { NodeDataHandler(agent: agent, metrics: metrics) }.map { $0.0 }
        }
    }

    /// The live telemetry of `device` when another live node holds its agent: the latest values,
    /// and each record from now on until the stream is dropped (which closes the link); nil
    /// when no other live node holds it.
    func telemetry(of device: DeviceRecord, on eventLoop: any EventLoop) async throws -> NodeTelemetryFeed? {
        guard device.presence.online, let address = try await liveAddress(of: device.presence.relayNode) else { return nil }
        let snapshot = eventLoop.makePromise(of: LiveTelemetry.Snapshot.self)
        let (records, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(LiveTelemetry.streamBuffer))
        let hello = TunnelMessage.Hello(role: .nodeTelemetry, software: ProductVersion.software("tunnel-relay"), credential: device.id)
        let deviceID = device.id
        let link: any Channel
        do {
            (link, _) = try await dial(address, hello: hello, on: eventLoop) {
                NodeTelemetryHandler(deviceID: deviceID, snapshot: snapshot, records: continuation)
            }.get()
        } catch {
            snapshot.fail(error)
            throw error
        }
        continuation.onTermination = { _ in link.close(promise: nil) }
        return NodeTelemetryFeed(latest: try await snapshot.futureResult.get(), records: records, link: link)
    }

    /// The sentences of a session whose client another live node holds, for `user`'s browser:
    /// each as it crosses that node, and who watches, until the session ends or the stream is
    /// dropped (which closes the link); nil when no other live node holds the client.
    func watch(_ session: SessionRecord, by user: String, on eventLoop: any EventLoop) async throws -> NodeWatchFeed? {
        guard session.claimedAt != nil, session.ending == nil, session.clientNode != nodeName,
            let address = try await liveAddress(of: session.clientNode)
        else { return nil }
        let (sentences, continuation) = AsyncStream.makeStream(
            of: SessionTap.Sentence.self, bufferingPolicy: .bufferingNewest(SessionTap.bufferPerWatcher))
        let watchers = NIOLockedValueBox<[String]>([])
        let ended = NIOLockedValueBox(false)
        let hello = TunnelMessage.Hello(
            role: .nodeWatch, software: ProductVersion.software("tunnel-relay"), sessionID: session.id, credential: user)
        let (link, _) = try await dial(address, hello: hello, on: eventLoop) {
            NodeWatchHandler(sentences: continuation, watchers: watchers, ended: ended)
        }.get()
        continuation.onTermination = { _ in link.close(promise: nil) }
        return NodeWatchFeed(sentences: sentences, watchers: watchers, ended: ended)
    }

    /// The capture file of a session recorded on another live node (the one that held its
    /// client), in chunks as that node reads it; nil when no other live node held it. The
    /// stream fails when that node has no capture of it or the link closes early.
    func capture(of session: SessionRecord, on eventLoop: any EventLoop) async throws -> AsyncThrowingStream<ByteBuffer, any Error>? {
        guard session.clientNode != nodeName, let address = try await liveAddress(of: session.clientNode) else { return nil }
        let (chunks, continuation) = AsyncThrowingStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .unbounded)
        let hello = TunnelMessage.Hello(
            role: .nodeCapture, software: ProductVersion.software("tunnel-relay"), sessionID: session.id,
            credential: session.deviceID)
        let (link, _) = try await dial(address, hello: hello, on: eventLoop) { NodeCaptureHandler(chunks: continuation) }.get()
        continuation.onTermination = { _ in link.close(promise: nil) }
        return chunks
    }

    /// The agent refused a session this node does not run: if a client waits for it on another
    /// node, that node is asked to end it with the agent's reason (a `session.end_requested`
    /// entry by `relay:agent-refused`, which every node follows). Only a claimed, unended session
    /// of the agent's own device is touched: an agent cannot end another device's sessions.
    func passRefusal(sessionID: String, deviceID: String, code: TunnelErrorCode, message: String, writes: StoreWrites) {
        let store = self.store
        let nodeName = self.nodeName
        let reason = "the agent refused the session: \(message.isEmpty ? code.summary : message)"
        writes.enqueue(key: "session:\(sessionID)", "Passing an agent's refusal on") {
            guard let session = try await store.session(id: sessionID), session.deviceID == deviceID, session.claimedAt != nil,
                session.ending == nil, let node = session.clientNode, node != nodeName
            else { return }
            try await store.appendAudit(
                AuditEntry(
                    at: Date(), event: .sessionEndRequested, actor: AuditEntry.agentRefusalActor, deviceID: deviceID,
                    sessionID: sessionID, reason: AuditEntry.bounded(reason, AuditEntry.maxReasonBytes)))
        }
    }

    private func dial(
        _ address: String, hello: TunnelMessage.Hello, on eventLoop: any EventLoop,
        makeHandler: @escaping @Sendable () -> any ChannelHandler
    ) -> EventLoopFuture<(any Channel, TunnelMessage.Welcome)> {
        do {
            let dialer = TunnelDialer(
                relay: try RelayAddress(parsing: address), tls: tls.dialer, keepalive: keepalive, connectTimeout: .seconds(3))
            return dialer.dial(on: eventLoop, hello: hello, makeHandler: makeHandler)
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }
}

/// A device's live telemetry read from the node holding its agent.
struct NodeTelemetryFeed: Sendable {
    let latest: LiveTelemetry.Snapshot
    /// Each record from now on; dropping the iteration closes the link.
    let records: AsyncStream<String>
    let link: any Channel

    /// Ends the link (when only `latest` was wanted).
    func close() { link.close(promise: nil) }
}

/// A session watched through the node holding its client.
struct NodeWatchFeed: Sendable {
    /// Each sentence from now on; dropping the iteration closes the link.
    let sentences: AsyncStream<SessionTap.Sentence>
    /// Who watches, as that node last said.
    let watchers: NIOLockedValueBox<[String]>
    /// Whether that node said the session ended.
    let ended: NIOLockedValueBox<Bool>
}

/// The end of a `nodeOpen` link: nothing follows `WELCOME`.
private final class NodeOpenAnswerHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = TunnelMessage
}
