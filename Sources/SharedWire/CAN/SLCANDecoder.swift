import NIOCore

/// Splits an slcan byte stream into messages. A line that is no slcan message is reported as
/// `.invalid` and decoding goes on with the next line, so the decoder resynchronises after
/// garbage on the line; an over-long line is reported once and skipped to its `\r`.
public struct SLCANDecoder: NIOSingleStepByteToMessageDecoder {
    /// Longest line kept before its `\r`. The longest valid line is an extended data frame:
    /// `T` + 8 ID digits + 1 length digit + 16 data digits = 26 characters; 64 leaves room for
    /// adapters that append a timestamp or for leading line feeds, and bounds what garbage can
    /// make the decoder hold.
    public static let maxLineLength = 64

    /// What one line decodes to.
    public enum Output: Hashable, Sendable {
        /// A well-formed message.
        case message(SLCANMessage)
        /// A line that was skipped, and why.
        case invalid(SLCANDecodingError)
    }

    public typealias InboundOut = Output

    /// True while skipping the rest of an over-long line.
    private var discarding = false

    public init() {}

    public mutating func decode(buffer: inout ByteBuffer) throws -> Output? {
        if discarding {
            guard buffer.discardSLCANLine() else {
                buffer.moveReaderIndex(to: buffer.writerIndex)
                return nil
            }
            discarding = false
        }
        do {
            if let message = try buffer.readSLCANMessage() { return .message(message) }
        } catch let error as SLCANDecodingError {
            buffer.discardSLCANLine()
            return .invalid(error)
        }
        guard buffer.readableBytes > Self.maxLineLength else { return nil }
        buffer.moveReaderIndex(to: buffer.writerIndex)
        discarding = true
        return .invalid(.lineTooLong(limit: Self.maxLineLength))
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Output? {
        try decode(buffer: &buffer)
    }
}
