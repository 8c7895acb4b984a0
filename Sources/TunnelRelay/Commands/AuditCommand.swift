import ArgumentParser
import Foundation

/// `tunnel-relay audit`: read the audit log.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Show the audit log, oldest first.",
        discussion: """
            Times are ISO 8601 (2026-11-26T09:30:00Z), a date (2026-11-26, midnight UTC), or an age \
            such as 90s, 15m, 2h or 7d. Columns: time, event, actor, user, device, session, mode, details.
            """)

    @OptionGroup var options: RelayOptions

    @Option(help: "Only entries about this device.")
    var device: String?

    @Option(help: "Only entries about this user or made by them.")
    var user: String?

    @Option(help: "From this time on: 2026-11-26T09:30:00Z, 2026-11-26, or an age (90s, 15m, 2h, 7d).")
    var since: AuditTime?

    @Option(help: "Before this time (same forms as --since).")
    var until: AuditTime?

    @Option(help: "At most this many entries (the newest).")
    var limit: Int = 1_000

    func run() async throws {
        let query = AuditQuery(deviceID: device, userID: user, since: since?.date, until: until?.date, limit: limit)
        for entry in try await options.withStore({ try await $0.auditEntries(query) }) {
            print(Self.line(entry))
        }
    }

    static func line(_ entry: AuditEntry) -> String {
        let format = ISO8601DateFormatter()
        format.formatOptions.insert(.withFractionalSeconds)
        var details: [String] = entry.reason.isEmpty ? [] : [entry.reason]
        if let source = entry.source { details.append("from \(source)") }
        if let started = entry.startedAt { details.append("started \(format.string(from: started))") }
        if let toDevice = entry.bytesToDevice, let fromDevice = entry.bytesFromDevice {
            details.append("\(toDevice) B to device, \(fromDevice) B from device")
        }
        return [
            format.string(from: entry.at), entry.event.rawValue, entry.actor, entry.userID ?? "-", entry.deviceID ?? "-",
            entry.sessionID ?? "-", entry.mode?.description ?? "-", details.joined(separator: "; "),
        ].joined(separator: "\t")
    }
}

/// A point in time given on the command line: ISO 8601, a date, or an age (`2h` ago).
struct AuditTime: ExpressibleByArgument {
    let date: Date

    init?(argument: String) {
        if let date = ISO8601DateFormatter().date(from: argument) {
            self.date = date
        } else if let day = Self.day.date(from: argument) {
            self.date = day
        } else if let unit = argument.last, let amount = Double(argument.dropLast()), amount >= 0,
            let seconds = ["s": 1.0, "m": 60, "h": 3_600, "d": 86_400][String(unit)]
        {
            self.date = Date().addingTimeInterval(-amount * seconds)
        } else {
            return nil
        }
    }

    private static var day: ISO8601DateFormatter {
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withFullDate]
        return format
    }
}
