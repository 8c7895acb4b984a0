import NIOCore

/// Splits a G1 byte stream into sentences. Empty lines are skipped; a line that is not a
/// valid sentence is reported as `.invalid` and decoding goes on with the next line.
public struct G1LineDecoder: NIOSingleStepByteToMessageDecoder {
    /// Longest line kept. The longest real sentence (a BV2 group of 8 cells or DT1) is well
    /// under 100 characters; 256 leaves room for unknown sentences while bounding memory.
    public static let maxLineLength = 256

    public enum Output: Equatable, Sendable {
        case sentence(G1Sentence)
        case invalid(G1DecodingError)
    }

    public typealias InboundOut = Output

    /// True while skipping the rest of an over-long line.
    private var discarding = false

    public init() {}

    public mutating func decode(buffer: inout ByteBuffer) throws -> Output? {
        while true {
            let end = buffer.withUnsafeReadableBytes { bytes in
                bytes.firstIndex { $0 == 0x0D || $0 == 0x0A }
            }
            guard let end else {
                if buffer.readableBytes > Self.maxLineLength {
                    buffer.moveReaderIndex(to: buffer.writerIndex)
                    let report = !discarding
                    discarding = true
                    if report { return .invalid(.lineTooLong(length: Self.maxLineLength)) }
                }
                return nil
            }
            defer { buffer.moveReaderIndex(forwardBy: end + 1) }
            if discarding {
                discarding = false
                continue
            }
            if end == 0 { continue }  // an empty line, or the LF of a CR LF
            if end > Self.maxLineLength { return .invalid(.lineTooLong(length: Self.maxLineLength)) }
            do {
                let sentence = try buffer.withUnsafeReadableBytes { bytes in
                    try G1Sentence(utf8: UnsafeRawBufferPointer(rebasing: bytes[0..<end]))
                }
                return .sentence(sentence)
            } catch let error as G1DecodingError {
                return .invalid(error)
            }
        }
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Output? {
        try decode(buffer: &buffer)
    }
}
