import NIOCore

/// The slcan grammar: one message per line, ended by `\r`; the adapter's error answer is a
/// lone BELL (`\a`) with no `\r`.
extension ByteBuffer {
    /// Reads one slcan message with its terminator, or returns `nil` (consuming nothing) while
    /// no terminator has arrived. Throws `SLCANDecodingError.malformed` for a complete line
    /// that is no slcan message, also consuming nothing: `discardSLCANLine()` steps over it.
    /// Line feeds at the start of a line are tolerated (some terminals send CR LF).
    public mutating func readSLCANMessage() throws -> SLCANMessage? {
        guard let (length, terminator) = slcanLineExtent() else { return nil }
        let line = self.getBytes(at: self.readerIndex, length: length)![...].drop { $0 == SLCAN.lineFeed }
        if terminator == SLCAN.bell {
            guard line.isEmpty else { throw SLCANDecodingError.malformed(line: SLCAN.text(line), reason: "text before a BELL") }
            self.moveReaderIndex(forwardBy: length + 1)
            return .error
        }
        let message = try SLCAN.parse(line)
        self.moveReaderIndex(forwardBy: length + 1)
        return message
    }

    /// Steps over the current line: through its `\r`, or up to (not over) a BELL, which is a
    /// message of its own. Returns false, consuming nothing, when no terminator has arrived.
    @discardableResult
    public mutating func discardSLCANLine() -> Bool {
        guard let (length, terminator) = slcanLineExtent() else { return false }
        self.moveReaderIndex(forwardBy: terminator == SLCAN.bell ? length : length + 1)
        return true
    }

    /// Writes one message with its terminator; hex digits are uppercase.
    @discardableResult
    public mutating func writeSLCANMessage(_ message: SLCANMessage) -> Int {
        switch message {
        case .frame(let frame):
            let letter = frame.isRemote ? (frame.isExtended ? "R" : "r") : (frame.isExtended ? "T" : "t")
            let id = CANFrame.hex(frame.id, width: frame.isExtended ? 8 : 3)
            let data = frame.data.map { CANFrame.hex(UInt32($0), width: 2) }.joined()
            return self.writeString("\(letter)\(id)\(frame.length)\(data)\r")
        case .setBitRate(let rate): return self.writeString("S\(rate.rawValue)\r")
        case .open: return self.writeString("O\r")
        case .close: return self.writeString("C\r")
        case .ok: return self.writeString("\r")
        case .error: return self.writeInteger(SLCAN.bell)
        }
    }

    /// Bytes before the first `\r` or BELL, and which one it is.
    private func slcanLineExtent() -> (length: Int, terminator: UInt8)? {
        let view = self.readableBytesView
        guard let end = view.firstIndex(where: { $0 == SLCAN.carriageReturn || $0 == SLCAN.bell }) else { return nil }
        return (end - view.startIndex, view[end])
    }
}
