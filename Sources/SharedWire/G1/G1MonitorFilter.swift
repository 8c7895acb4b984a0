import NIOCore

/// The read-only rule of a monitor session, applied to the bytes its client sends: only
/// complete G1 lines that read state (`G1Catalogue.isAllowedInMonitorSession`, valid CRC)
/// pass, unchanged and with their own line ends; everything else is dropped and reported.
///
/// Lines may arrive split across frames; an incomplete line waits (up to
/// `G1LineDecoder.maxLineLength` bytes) for the rest.
public struct G1MonitorFilter: Sendable {
    /// A line that did not pass, for the drop counter and the log.
    public struct Dropped: Equatable, Sendable {
        /// The line as sent (cut to 64 characters), without its line end.
        public let line: String
        /// Why it was dropped.
        public let reason: String
    }

    private var partial: [UInt8] = []
    private var discarding = false
    /// True after a dropped line, so that its line end (CR LF) goes with it.
    private var swallowingLineEnd = false
    /// Lines dropped since the filter was made.
    public private(set) var droppedCount = 0

    public init() {}

    /// Filters `bytes`; returns what may reach the BMS and what was dropped.
    public mutating func filter(_ bytes: ByteBuffer) -> (allowed: ByteBuffer, dropped: [Dropped]) {
        var allowed = ByteBuffer()
        var dropped: [Dropped] = []
        for byte in bytes.readableBytesView {
            guard byte == 0x0D || byte == 0x0A else {
                swallowingLineEnd = false
                if discarding { continue }
                partial.append(byte)
                if partial.count > G1LineDecoder.maxLineLength {
                    dropped.append(drop(reason: "line longer than \(G1LineDecoder.maxLineLength) bytes"))
                    discarding = true
                }
                continue
            }
            if discarding {
                discarding = false
                swallowingLineEnd = true
                continue
            }
            if partial.isEmpty {
                if swallowingLineEnd { continue }
                allowed.writeInteger(byte)  // a bare line end carries no command
                continue
            }
            if let reason = refusal(of: partial) {
                dropped.append(drop(reason: reason))
                swallowingLineEnd = true
            } else {
                allowed.writeBytes(partial)
                allowed.writeInteger(byte)
                partial.removeAll(keepingCapacity: true)
            }
        }
        return (allowed, dropped)
    }

    /// Why `line` may not reach the BMS in a monitor session, or `nil` when it may.
    private func refusal(of line: [UInt8]) -> String? {
        let sentence: G1Sentence
        do {
            sentence = try line.withUnsafeBytes { try G1Sentence(utf8: $0) }
        } catch {
            return "\(error)"
        }
        switch G1Catalogue.effect(of: sentence) {
        case .reads: return nil
        case .changesState: return "\(sentence.name) changes the BMS's state; monitor sessions are read-only"
        case .unknown: return "\(sentence.name) is not a known G1 sentence"
        }
    }

    private mutating func drop(reason: String) -> Dropped {
        droppedCount += 1
        let line = String(decoding: partial.prefix(64), as: UTF8.self)
        partial.removeAll(keepingCapacity: true)
        return Dropped(line: line, reason: reason)
    }
}
