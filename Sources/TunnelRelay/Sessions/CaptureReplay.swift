import Foundation
import SharedWire
import TunnelTransport

/// A recorded session read back for replay in the console: each G1 line of its capture file
/// (`serve --capture`) with the time it crossed the relay, its direction, name and meaning,
/// oldest first. The file is read in chunks and only up to a bound, so a long capture costs
/// the page no more than `maxSentences` sentences; the whole file stays downloadable.
struct CaptureReplay: Sendable, Encodable {
    /// Sentences read at most.
    static let maxSentences = 20_000
    /// Bytes of the file read at most.
    static let maxBytes = 64 * 1024 * 1024
    /// A line of the file longer than this is not a capture record (a record of the largest
    /// frame, 64 KiB as hex plus its lines, is under 200 KiB).
    static let maxRecordLength = 1024 * 1024

    fileprivate(set) var sentences: [SessionTap.Sentence] = []
    /// Whether the file holds more than was read.
    fileprivate(set) var truncated = false
    /// Lines of the file that are not capture records (a capture cut off by a crash ends in
    /// half a line); they are skipped.
    fileprivate(set) var unreadable = 0
    /// Bytes recorded each way, in the records read.
    private(set) var bytesToDevice = 0
    private(set) var bytesFromDevice = 0

    /// Reads the capture at `path`; throws when the file cannot be opened.
    static func read(path: String) throws -> CaptureReplay {
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw CaptureError(path: path, reason: "cannot read the capture file")
        }
        defer { try? file.close() }
        var reader = Reader()
        while reader.wantsMore, let chunk = try file.read(upToCount: 1024 * 1024), !chunk.isEmpty {
            reader.feed(chunk)
        }
        if reader.wantsMore == false, (try? file.read(upToCount: 1))?.isEmpty == false { reader.replay.truncated = true }
        return reader.finish()
    }

    /// The capture file of a session in `directory`, when the ID has an ID's characters (the
    /// path is built only from such a one).
    static func path(of sessionID: String, in directory: String) -> String? {
        let safe =
            !sessionID.isEmpty && sessionID.count <= 64
            && sessionID.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2D
                    || byte == 0x5F
            }
        return safe ? "\(directory)/\(sessionID).jsonl" : nil
    }

    /// Puts a capture together from its bytes in chunks of any size, as they come from the
    /// file or from another node, up to `maxBytes`.
    struct Reader {
        fileprivate(set) var replay = CaptureReplay()
        private var partial = Data()
        private var skippingLongLine = false
        private var consumed = 0

        /// Whether more bytes would be read: neither bound is reached.
        var wantsMore: Bool { consumed < CaptureReplay.maxBytes && !replay.truncated }

        mutating func feed(_ bytes: Data) {
            guard wantsMore else {
                if !bytes.isEmpty { replay.truncated = true }
                return
            }
            let chunk = bytes.prefix(CaptureReplay.maxBytes - consumed)
            if chunk.count < bytes.count { replay.truncated = true }
            consumed += chunk.count
            var start = chunk.startIndex
            while let end = chunk[start...].firstIndex(of: 0x0A) {
                if skippingLongLine {
                    skippingLongLine = false
                } else {
                    partial.append(chunk[start..<end])
                    replay.add(line: partial)
                }
                partial.removeAll(keepingCapacity: true)
                start = chunk.index(after: end)
                if replay.truncated { return }
            }
            guard !skippingLongLine else { return }
            partial.append(chunk[start...])
            if partial.count > CaptureReplay.maxRecordLength {
                replay.unreadable += 1
                partial.removeAll()
                skippingLongLine = true
            }
        }

        /// The replay; a last line without its line end is a record the writer had not finished.
        mutating func finish() -> CaptureReplay {
            if !partial.isEmpty, !replay.truncated { replay.unreadable += 1 }
            partial.removeAll()
            return replay
        }
    }

    fileprivate mutating func add(line: Data) {
        guard !line.isEmpty else { return }
        guard let record = try? JSONDecoder().decode(CaptureRecord.self, from: line), (0...1e11).contains(record.time) else {
            unreadable += 1
            return
        }
        if record.direction == .toDevice {
            bytesToDevice += record.hex.utf8.count / 2
        } else {
            bytesFromDevice += record.hex.utf8.count / 2
        }
        let at = Int64((record.time * 1000).rounded())
        for line in record.lines {
            guard sentences.count < Self.maxSentences else {
                truncated = true
                return
            }
            sentences.append(
                SessionTap.Sentence(
                    at: at, direction: record.direction, line: line, name: (try? G1Sentence(line: line))?.name ?? "",
                    meaning: CaptureTranscript.annotation(of: line)))
        }
    }
}
