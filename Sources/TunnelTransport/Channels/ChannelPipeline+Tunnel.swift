import NIOCore
import SharedWire

extension ChannelPipeline.SynchronousOperations {
    /// Adds the frame codec and keepalive after TLS: the channel then reads and writes
    /// `TunnelMessage`s, answers pings and drops a silent peer.
    public func addTunnelCodec(keepalive: KeepaliveHandler.Configuration) throws {
        try self.addHandler(ByteToMessageHandler(TunnelMessageDecoder()))
        try self.addHandler(MessageToByteHandler(TunnelMessageEncoder()))
        try self.addHandler(KeepaliveHandler(configuration: keepalive))
    }
}

extension ChannelHandlerContext {
    /// Tells the peer why, then closes. Used for every deliberate close of a tunnel connection.
    /// The future completes once the connection is closed: after the frame left, or after
    /// `goingAwayGrace` when it could not.
    @discardableResult
    public func closeWithGoingAway(_ code: TunnelErrorCode, _ message: String) -> EventLoopFuture<Void> {
        let frame = NIOAny(TunnelMessage.goingAway(.init(code: code, message: message)))
        let channel = self.channel
        self.writeAndFlush(frame).whenComplete { _ in channel.close(promise: nil) }
        channel.closeAfterGoingAwayGrace()
        return channel.closeFuture
    }
}

extension Channel {
    /// Tells the peer why, then closes. Thread-safe. The future completes once the
    /// connection is closed: after the frame left, or after `goingAwayGrace` when it could not.
    @discardableResult
    public func closeWithGoingAway(_ code: TunnelErrorCode, _ message: String) -> EventLoopFuture<Void> {
        let channel = self
        self.writeAndFlush(TunnelMessage.goingAway(.init(code: code, message: message)))
            .whenComplete { _ in channel.close(promise: nil) }
        closeAfterGoingAwayGrace()
        return closeFuture
    }

    /// Closes anyway when the going-away frame could not leave in time: TLS holds writes
    /// until its handshake is done, so a peer that never finishes the handshake (or never
    /// reads) would otherwise keep the connection open for as long as it likes.
    fileprivate func closeAfterGoingAwayGrace() {
        let channel = self
        eventLoop.scheduleTask(in: goingAwayGrace) { channel.close(promise: nil) }
    }
}

/// The longest a going-away frame may take to leave before the connection closes anyway.
private let goingAwayGrace = TimeAmount.seconds(2)

extension Error {
    /// The code and message a tunnel connection closes with when this error ends it.
    public var tunnelClosing: (TunnelErrorCode, String) {
        if let error = self as? TunnelProtocolError { return (error.code, error.message) }
        return (.protocolError, "\(self)")
    }
}
