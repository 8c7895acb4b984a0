import NIOCore

/// Splits a Telnet byte stream (an RFC 2217 client's connection) into events: data,
/// negotiations, COM-PORT-OPTION commands and other commands.
public struct TelnetDecoder: NIOSingleStepByteToMessageDecoder {
    /// Longest subnegotiation body kept, unescaped. A COM-PORT-OPTION command is the option
    /// byte, the command byte and at most a 4-byte value; only SIGNATURE carries text, and
    /// real clients send a few dozen characters. 256 leaves room while bounding memory
    /// against a peer that opens `IAC SB` and never closes it.
    public static let maxSubnegotiationLength = 256

    public typealias InboundOut = TelnetEvent

    private let maxSubnegotiationLength: Int

    /// A decoder with the standard cap; tests may pass a smaller one.
    public init(maxSubnegotiationLength: Int = Self.maxSubnegotiationLength) {
        self.maxSubnegotiationLength = maxSubnegotiationLength
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> TelnetEvent? {
        try buffer.readTelnetEvent(maxSubnegotiationLength: maxSubnegotiationLength)
    }

    /// At the end of the stream an incomplete command is dropped with the connection.
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> TelnetEvent? {
        if let event = try decode(buffer: &buffer) { return event }
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return nil
    }
}
