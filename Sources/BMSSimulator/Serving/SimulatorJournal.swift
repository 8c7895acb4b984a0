import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Appends one JSON line per line the simulator receives, so a test can check what reached
/// the BMS: `{"time":…,"port":"g1"|"can","line":…,"valid":…,"applied":…,"outcome":…}`.
/// Each entry is one `write` to a file opened with `O_APPEND`, so lines never interleave.
final class SimulatorJournal: Sendable {
    /// One received line.
    struct Entry: Encodable {
        /// Wall-clock time of arrival, ISO 8601 UTC with milliseconds.
        let time: String
        /// `g1` (the serial port) or `can` (the slcan port).
        let port: String
        /// The line as received, without its line end.
        let line: String
        /// The line parsed (G1: name and CRC correct; slcan: a known command or frame).
        let valid: Bool
        /// The line changed the BMS's (or the CAN adapter's) state.
        let applied: Bool
        /// answered, applied, refused, ignored, invalid or silenced.
        let outcome: String
        /// The keyword of a refusal or the parse error; absent otherwise.
        let reason: String?
    }

    let path: String
    private let fd: CInt

    /// Opens (creating if needed) `path` for appending.
    init(path: String) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw JournalError(path: path, errorNumber: errno) }
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    /// Appends an entry stamped with the current time.
    func record(port: String, line: String, valid: Bool, applied: Bool, outcome: String, reason: String? = nil) {
        let time = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        let entry = Entry(time: time, port: port, line: line, valid: valid, applied: applied, outcome: outcome, reason: reason)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var data = try? encoder.encode(entry) else { return }
        data.append(0x0A)
        _ = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}

/// The journal file could not be opened.
struct JournalError: Error, CustomStringConvertible {
    let path: String
    let errorNumber: CInt
    var description: String { "cannot open journal \(path) for appending: \(String(cString: strerror(errorNumber)))" }
}
