import NIOCore
import SharedWire
import TunnelTransport

/// The session is over: the relay or the agent sent `GOING_AWAY`, or the connection dropped.
struct SessionEnded: Error, CustomStringConvertible {
    /// The peer's reason, or nil when the connection closed without one.
    let reason: TunnelMessage.GoingAway?

    var description: String {
        guard let reason else { return "the session's connection closed without GOING_AWAY" }
        return "the relay ended the session: \(reason.code.summary)\(reason.message.isEmpty ? "" : ": \(reason.message)")"
    }
}

/// Asks `SessionBytesHandler` to end the session: `GOING_AWAY`, then close.
struct EndSession: Sendable {}

/// Sits after the client's tunnel codec: completes `connected` when the relay reports the
/// agent connected, then turns `serialData` frames into bytes for the phase handler after it,
/// and bytes written by that handler into `serialData` frames.
final class SessionBytesHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = TunnelMessage
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = TunnelMessage

    private let connected: EventLoopPromise<Void>
    private var isConnected = false
    private var goingAway: TunnelMessage.GoingAway?

    init(connected: EventLoopPromise<Void>) {
        self.connected = connected
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .serialData(let bytes):
            context.fireChannelRead(wrapInboundOut(bytes))
        case .sessionStatus(let status) where status.state == .connected:
            guard !isConnected else { return }
            isConnected = true
            connected.succeed(())
        case .goingAway(let reason):
            goingAway = reason
            end(context, SessionEnded(reason: reason))
        default:
            break  // waitingForAgent, serial line state: nothing the benchmark uses
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(wrapOutboundOut(.serialData(unwrapOutboundIn(data))), promise: promise)
    }

    /// `EndSession` ends the session from here: frames written after this handler must be bytes.
    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is EndSession else {
            return context.triggerUserOutboundEvent(event, promise: promise)
        }
        context.closeWithGoingAway(.sessionEnded, "benchmark finished")
        promise?.succeed(())
    }

    func channelInactive(context: ChannelHandlerContext) {
        end(context, SessionEnded(reason: goingAway))
        context.fireChannelInactive()
    }

    private func end(_ context: ChannelHandlerContext, _ error: SessionEnded) {
        if !isConnected {
            isConnected = true
            connected.fail(error)
        }
        context.fireErrorCaught(error)
    }
}

extension SessionBytesHandler {
    /// Dials with `dial`, whose pipeline ends in the handler it is given, and waits until the
    /// relay reports the agent connected (`connected`); the channel is closed when it never does.
    static func dialConnected(
        connected: EventLoopPromise<Void>,
        _ dial: (_ makeHandler: @escaping @Sendable () -> any ChannelHandler) async throws -> any Channel
    ) async throws -> any Channel {
        let channel: any Channel
        do {
            channel = try await dial { SessionBytesHandler(connected: connected) }
        } catch {
            connected.fail(error)
            throw error
        }
        do {
            try await connected.futureResult.get()
        } catch {
            try? await channel.close()
            throw error
        }
        return channel
    }
}
