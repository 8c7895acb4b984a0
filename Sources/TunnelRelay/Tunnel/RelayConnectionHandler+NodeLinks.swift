import Foundation
import NIOCore
import NIOPosix
import SharedWire
import TunnelTransport

/// What a relay node answers on its node listener for another node of the cluster: sending
/// its agent `OPEN_SESSION`, a device's live telemetry, a session's sentences for a browser,
/// a session's capture file.
extension RelayConnectionHandler {
    /// Another node's admin API reads the live telemetry of a device whose agent is here.
    func feedTelemetry(_ context: ChannelHandlerContext, deviceID: String) {
        guard let stream = relay.telemetry.stream(deviceID: deviceID) else {
            return refuse(
                context,
                RelayRefusal(
                    code: .limitReached, message: "device \(deviceID) has \(LiveTelemetry.maxStreamsPerDevice) live streams open already"))
        }
        handshakeTimer?.cancel()
        context.write(wrapOutboundOut(.welcome(.init(identity: deviceID, pingIntervalMilliseconds: pingMilliseconds))), promise: nil)
        for record in relay.telemetry.snapshot(deviceID: deviceID)?.records() ?? [] {
            context.write(wrapOutboundOut(.telemetry(ByteBuffer(string: record))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.telemetry(ByteBuffer())), promise: nil)
        let channel = context.channel
        let feed = Task {
            for await record in stream {
                guard channel.isActive else { break }
                try? await channel.writeAndFlush(TunnelMessage.telemetry(ByteBuffer(string: record)))
            }
        }
        channel.closeFuture.whenComplete { _ in feed.cancel() }
    }

    /// Another node's browser watches a session whose client is here: its sentences, and who
    /// watches whenever that changes, until the session ends (then `GOING_AWAY` sessionEnded)
    /// or the other node closes the link (which ends the watch).
    func feedWatch(_ context: ChannelHandlerContext, sessionID: String, user: String) {
        let node = relay.configuration.nodeName
        guard let tap = relay.broker.tap(sessionID: sessionID) else {
            return refuse(context, RelayRefusal(code: .sessionEnded, message: "session \(sessionID) is not running on node \(node)"))
        }
        guard let sentences = tap.watch(by: user) else {
            return refuse(
                context,
                RelayRefusal(code: .limitReached, message: "session \(sessionID) has \(SessionTap.maxWatchers) watchers already"))
        }
        handshakeTimer?.cancel()
        context.writeAndFlush(
            wrapOutboundOut(.welcome(.init(identity: sessionID, pingIntervalMilliseconds: pingMilliseconds))), promise: nil)
        let channel = context.channel
        let feed = Task {
            for await sentence in sentences {
                guard channel.isActive else { break }
                try? await channel.writeAndFlush(TunnelMessage.watchedSentence(sentence.wire))
            }
            if tap.isFinished { channel.closeWithGoingAway(.sessionEnded, "the session ended") }
        }
        let watchers = Task {
            var told: [String]?
            while !Task.isCancelled, channel.isActive {
                let now = tap.watchers
                if now != told {
                    try? await channel.writeAndFlush(TunnelMessage.watchers(now))
                    told = now
                }
                try? await Task.sleep(for: ConsoleRoutes.watchersInterval)
            }
        }
        channel.closeFuture.whenComplete { _ in
            feed.cancel()
            watchers.cancel()
        }
    }

    /// Another node's console replays a session recorded here: the capture file, read in
    /// chunks (at most `CaptureReplay.maxBytes`), each written once the last one was.
    func feedCapture(_ context: ChannelHandlerContext, sessionID: String, deviceID: String) {
        let node = relay.configuration.nodeName
        let path = CaptureReplay.path(of: sessionID, in: relay.configuration.captureDirectory)
        let store = relay.store
        handshakeTimer?.cancel()
        let channel = context.channel
        let pingMilliseconds = self.pingMilliseconds
        let feed = Task {
            guard let session = try? await store.session(id: sessionID), session.deviceID == deviceID, let path,
                let file = FileHandle(forReadingAtPath: path)
            else {
                channel.closeWithGoingAway(.captureUnavailable, "node \(node) has no capture of session \(sessionID) of \(deviceID)")
                return
            }
            defer { try? file.close() }
            try? await channel.writeAndFlush(TunnelMessage.welcome(.init(identity: sessionID, pingIntervalMilliseconds: pingMilliseconds)))
            var sent = 0
            // Read on NIO's thread pool: a disk read must not hold up the tasks or the event loops.
            while channel.isActive, sent < CaptureReplay.maxBytes,
                let chunk = try? await NIOThreadPool.singleton.runIfActive({
                    [count = min(60_000, CaptureReplay.maxBytes - sent)] in try file.read(upToCount: count)
                }), !chunk.isEmpty
            {
                sent += chunk.count
                try? await channel.writeAndFlush(TunnelMessage.captureData(ByteBuffer(bytes: chunk)))
            }
            try? await channel.writeAndFlush(TunnelMessage.captureData(ByteBuffer()))
            channel.closeWithGoingAway(.normal, "the whole capture was sent")
        }
        channel.closeFuture.whenComplete { _ in feed.cancel() }
    }

    /// Another node's client claimed a session for the agent whose control connection is here.
    func openForNode(_ context: ChannelHandlerContext, sessionID: String, deviceID: String) {
        let (store, agents, node) = (relay.store, relay.agents, relay.configuration.nodeName)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.makeFutureWithTask { try await store.session(id: sessionID) }.whenComplete { result in
            let (handler, context) = loopBound.value
            let refusal: RelayRefusal?
            switch result {
            case .failure(let error):
                refusal = RelayRefusal(code: .sessionEnded, message: "session lookup failed: \(error)")
            case .success(let session):
                if let session, session.deviceID == deviceID, session.claimedAt != nil, session.ending == nil {
                    if let agent = agents.entry(deviceID: deviceID) {
                        agent.channel.writeAndFlush(TunnelMessage.openSession(SessionBroker.open(session)), promise: nil)
                        refusal = nil
                    } else {
                        refusal = RelayRefusal(code: .agentOffline, message: "the agent of \(deviceID) is not connected to node \(node)")
                    }
                } else {
                    refusal = RelayRefusal(code: .sessionEnded, message: "session \(sessionID) of \(deviceID) is not waiting for its agent")
                }
            }
            handler.perform(handler.connection.nodeOpenAnswered(sessionID: sessionID, refusal: refusal), context)
        }
    }

    // MARK: - Clients
}
