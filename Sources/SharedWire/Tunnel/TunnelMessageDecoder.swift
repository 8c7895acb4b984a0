import NIOCore

/// Turns bytes into `TunnelMessage`s, skipping unknown ignorable frames.
///
/// Size cap: a frame may not announce more than `TunnelLimits.maxFramePayload` bytes, so a
/// connection never buffers more than one maximal frame plus a TLS record.
public struct TunnelMessageDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = TunnelMessage

    public init() {}

    public mutating func decode(buffer: inout ByteBuffer) throws -> TunnelMessage? {
        while let frame = try buffer.readTunnelFrame() {
            if let message = try TunnelMessage(frame: frame) { return message }
        }
        return nil
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> TunnelMessage? {
        try decode(buffer: &buffer)
    }
}

/// Writes `TunnelMessage`s as frames.
public struct TunnelMessageEncoder: MessageToByteEncoder {
    public typealias OutboundIn = TunnelMessage

    public init() {}

    public func encode(data: TunnelMessage, out: inout ByteBuffer) throws {
        data.write(to: &out)
    }
}
