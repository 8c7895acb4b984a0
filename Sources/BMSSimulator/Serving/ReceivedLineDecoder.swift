import NIOCore

/// Splits what the simulator receives on G1 into raw lines (CR, LF or CR LF ended; empty lines
/// skipped), so the journal records each line exactly as it came before it is parsed.
struct ReceivedLineDecoder: NIOSingleStepByteToMessageDecoder {
    /// Longest line kept: the same bound as `G1LineDecoder.maxLineLength` (the longest real
    /// sentence is well under 100 characters).
    static let maxLineLength = 256

    /// One received line.
    enum Line: Equatable, Sendable {
        /// A whole line without its line end.
        case text(String)
        /// A line that passed `maxLineLength` without a line end; its first bytes.
        case tooLong(prefix: String)
    }

    typealias InboundOut = Line

    /// True while skipping the rest of an over-long line.
    private var discarding = false

    mutating func decode(buffer: inout ByteBuffer) throws -> Line? {
        while true {
            let view = buffer.readableBytesView
            guard let end = view.firstIndex(where: { $0 == 0x0D || $0 == 0x0A }) else {
                guard buffer.readableBytes > Self.maxLineLength else { return nil }
                let prefix = buffer.getString(at: buffer.readerIndex, length: 32) ?? ""
                buffer.moveReaderIndex(to: buffer.writerIndex)
                defer { discarding = true }
                return discarding ? nil : .tooLong(prefix: prefix)
            }
            let length = end - view.startIndex
            let bytes = buffer.readBytes(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            if discarding {
                discarding = false
                continue
            }
            if bytes.isEmpty { continue }
            return .text(String(decoding: bytes, as: UTF8.self))
        }
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Line? {
        try decode(buffer: &buffer)
    }
}
