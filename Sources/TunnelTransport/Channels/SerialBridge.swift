import NIOCore
import SharedWire

/// Joins a tunnel data connection to a local byte stream (a serial port, a PTY master, a
/// TCP socket) on one event loop: bytes cross as they come, with no copy through a queue,
/// and each side's writability drives the other side's reads (backpressure).
///
/// The bridge does not decide what an ending means; it reports it through `onEnd` and the
/// owner closes what it wants closed.
// Unchecked: the contexts, the pending bytes and the going-away reason are touched on
// `eventLoop` only; the entry points from other threads check it (`preconditionInEventLoop`).
public final class SerialBridge: @unchecked Sendable {
    /// How one side of the bridge ended.
    public enum Ending: Sendable, Equatable {
        /// The tunnel peer said why it was going away.
        case tunnelClosed(TunnelErrorCode, String)
        /// The tunnel connection closed without a reason (network loss, crash).
        case tunnelLost
        /// The local byte stream closed.
        case localClosed
    }

    /// Which way serial bytes crossed the bridge.
    public enum Direction: Sendable {
        /// Read locally, sent down the tunnel.
        case toTunnel
        /// Arrived from the tunnel, written locally.
        case toLocal
    }

    /// What the owner supplies.
    public struct Callbacks {
        /// Non-data messages: session status, control results, line state.
        public var onMessage: (TunnelMessage) -> Void
        /// Sees every serial byte that crosses, for a capture; `nil` when nobody records.
        public var onData: ((Direction, ByteBuffer) -> Void)?
        /// One side ended; called once per side.
        public var onEnd: (Ending) -> Void

        public init(
            onMessage: @escaping (TunnelMessage) -> Void = { _ in },
            onData: ((Direction, ByteBuffer) -> Void)? = nil,
            onEnd: @escaping (Ending) -> Void
        ) {
            self.onMessage = onMessage
            self.onData = onData
            self.onEnd = onEnd
        }
    }

    public let eventLoop: any EventLoop
    private let callbacks: Callbacks
    private var tunnelContext: ChannelHandlerContext?
    private var localContext: ChannelHandlerContext?
    private var goingAway: TunnelMessage.GoingAway?
    /// Local bytes read since the last read-complete, sent as one frame: a PTY hands over
    /// about 4 KiB per read, and one frame per burst saves a TLS record per read.
    private var pendingToTunnel: ByteBuffer?

    public init(eventLoop: any EventLoop, callbacks: Callbacks) {
        self.eventLoop = eventLoop
        self.callbacks = callbacks
    }

    /// The handler for the tunnel channel's pipeline (after the codec). The handlers keep the
    /// bridge alive; the bridge refers to their contexts only while they are in a pipeline.
    public func makeTunnelHandler() -> TunnelSide { TunnelSide(bridge: self) }

    /// A handler for a local channel's pipeline; the bridge forwards to the newest one.
    public func makeLocalHandler() -> LocalSide { LocalSide(bridge: self) }

    /// Sends a message (for example a serial control request) down the tunnel.
    public func sendToTunnel(_ message: TunnelMessage) {
        eventLoop.preconditionInEventLoop()
        tunnelContext?.writeAndFlush(NIOAny(message), promise: nil)
    }

    /// Closes the tunnel with a reason.
    public func closeTunnel(_ code: TunnelErrorCode, _ message: String) {
        eventLoop.preconditionInEventLoop()
        tunnelContext?.closeWithGoingAway(code, message)
    }

    fileprivate func fromTunnel(_ message: TunnelMessage) {
        switch message {
        case .serialData(let bytes):
            guard let local = localContext else { return }  // nobody has the port open
            callbacks.onData?(.toLocal, bytes)
            local.write(NIOAny(bytes), promise: nil)
        case .serialControl(let control):
            // Only agents apply serial control; a client side answers that it cannot.
            sendToTunnel(.serialControlResult(.init(operation: control.operation, value: control.value, status: .unsupported)))
        case .goingAway(let reason):
            goingAway = reason
            callbacks.onMessage(message)
        default:
            callbacks.onMessage(message)
        }
    }

    fileprivate func fromLocal(_ bytes: ByteBuffer) {
        callbacks.onData?(.toTunnel, bytes)
        if pendingToTunnel == nil {
            pendingToTunnel = bytes
        } else {
            pendingToTunnel!.writeImmutableBuffer(bytes)
        }
    }

    /// Sends what the local side read in this burst, in frames of at most the payload limit.
    fileprivate func localReadComplete() {
        guard var pending = pendingToTunnel else { return }
        pendingToTunnel = nil
        guard let tunnel = tunnelContext else { return }  // the tunnel is gone: nowhere to send
        while pending.readableBytes > 0 {
            let chunk = pending.readSlice(length: min(pending.readableBytes, TunnelLimits.maxFramePayload))!
            tunnel.write(NIOAny(TunnelMessage.serialData(chunk)), promise: nil)
        }
        tunnel.flush()
    }

    /// The tunnel side: `TunnelMessage` in, `TunnelMessage` out.
    public final class TunnelSide: ChannelInboundHandler {
        public typealias InboundIn = TunnelMessage
        public typealias OutboundOut = TunnelMessage
        private let bridge: SerialBridge

        init(bridge: SerialBridge) { self.bridge = bridge }

        public func handlerAdded(context: ChannelHandlerContext) { bridge.tunnelContext = context }
        public func handlerRemoved(context: ChannelHandlerContext) { bridge.tunnelContext = nil }

        public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            bridge.fromTunnel(unwrapInboundIn(data))
        }

        public func channelReadComplete(context: ChannelHandlerContext) {
            bridge.localContext?.flush()
            context.fireChannelReadComplete()
        }

        public func channelWritabilityChanged(context: ChannelHandlerContext) {
            bridge.localContext?.channel.setOption(ChannelOptions.autoRead, value: context.channel.isWritable)
                .whenFailure { _ in }
            context.fireChannelWritabilityChanged()
        }

        public func errorCaught(context: ChannelHandlerContext, error: any Error) {
            let (code, message) = error.tunnelClosing
            context.closeWithGoingAway(code, message)
        }

        public func channelInactive(context: ChannelHandlerContext) {
            bridge.tunnelContext = nil
            if let reason = bridge.goingAway {
                bridge.callbacks.onEnd(.tunnelClosed(reason.code, reason.message))
            } else {
                bridge.callbacks.onEnd(.tunnelLost)
            }
            context.fireChannelInactive()
        }
    }

    /// The local side: raw bytes in, raw bytes out.
    public final class LocalSide: ChannelInboundHandler {
        public typealias InboundIn = ByteBuffer
        public typealias OutboundOut = ByteBuffer
        private let bridge: SerialBridge

        init(bridge: SerialBridge) { self.bridge = bridge }

        public func handlerAdded(context: ChannelHandlerContext) {
            bridge.localContext = context
        }

        public func handlerRemoved(context: ChannelHandlerContext) {
            if bridge.localContext === context { bridge.localContext = nil }
        }

        public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            bridge.fromLocal(unwrapInboundIn(data))
        }

        public func channelReadComplete(context: ChannelHandlerContext) {
            bridge.localReadComplete()
            context.fireChannelReadComplete()
        }

        public func channelWritabilityChanged(context: ChannelHandlerContext) {
            bridge.tunnelContext?.channel.setOption(ChannelOptions.autoRead, value: context.channel.isWritable)
                .whenFailure { _ in }
            context.fireChannelWritabilityChanged()
        }

        public func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }

        public func channelInactive(context: ChannelHandlerContext) {
            if bridge.localContext === context {
                bridge.localContext = nil
                bridge.callbacks.onEnd(.localClosed)
            }
            context.fireChannelInactive()
        }
    }
}
