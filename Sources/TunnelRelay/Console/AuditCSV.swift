import Foundation

/// The audit log as CSV (RFC 4180) for the console's "Export CSV": one header line, then one
/// line per entry, every line ending CRLF.
enum AuditCSV {
    /// The columns, in order.
    static let header = [
        "id", "at", "event", "actor", "user", "device", "session", "mode", "reason", "source", "started_at", "bytes_to_device",
        "bytes_from_device",
    ]

    /// One field: quoted when it holds a comma, quote, CR or LF (quotes doubled). A field that
    /// a spreadsheet would take for a formula (first character `=`, `+`, `-`, `@`, tab or CR)
    /// gets a leading `'`, so a device name such as `=HYPERLINK(...)` stays text.
    static func field(_ text: String) -> String {
        var value = text
        if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One line of fields, with its CRLF.
    static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    /// An entry's line.
    static func line(_ entry: AuditEntry) -> String {
        let time = { (date: Date?) in date.map { $0.formatted(.iso8601) } ?? "" }
        return line([
            entry.id.map(String.init) ?? "", time(entry.at), entry.event.rawValue, entry.actor, entry.userID ?? "", entry.deviceID ?? "",
            entry.sessionID ?? "", entry.mode?.description ?? "", entry.reason, entry.source ?? "", time(entry.startedAt),
            entry.bytesToDevice.map(String.init) ?? "", entry.bytesFromDevice.map(String.init) ?? "",
        ])
    }

    /// The whole document: the header and the entries' lines.
    static func document(_ entries: [AuditEntry]) -> String {
        line(header) + entries.map(line).joined()
    }
}
