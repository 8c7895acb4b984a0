import NIOCore
import SharedWire

extension ChannelHandlerContext {
    /// Writes and flushes `message` as the answer to something the peer asked (a `PONG`, a
    /// `SERIAL_CONTROL_RESULT`), unless the peer does not read what it is sent: when the
    /// connection already holds more than `TunnelLimits.maxUnsentBytesBeforeReply` unsent
    /// bytes, it is closed instead, at once (a `GOING_AWAY` would only queue behind what the
    /// peer does not read), so that a peer that asks and never reads cannot grow its
    /// receiver's memory. Returns false when it closed the connection: the caller stops
    /// answering then.
    @discardableResult
    public func reply(_ message: TunnelMessage) -> Bool {
        guard channel.unsentBytes <= TunnelLimits.maxUnsentBytesBeforeReply else {
            close(promise: nil)
            return false
        }
        writeAndFlush(NIOAny(message), promise: nil)
        return true
    }
}

extension Channel {
    /// Bytes written to the channel and not yet handed to the kernel; 0 for a channel that
    /// does not say (an embedded channel, a PTY).
    public var unsentBytes: Int {
        guard let options = syncOptions, let bytes = try? options.getOption(.bufferedWritableBytes) else { return 0 }
        return bytes
    }
}
