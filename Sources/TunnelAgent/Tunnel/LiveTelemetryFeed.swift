import Foundation
import NIOConcurrencyHelpers
import NIOCore
import SharedWire

/// What the agent shows the relay of its telemetry: the latest record of each kind (records of
/// one sentence or frame share their first key), sent on the control connection every
/// `tunnel.live_telemetry_period` seconds. A live view, not a history: the uplink has that.
public final class LiveTelemetryFeed: Sendable {
    /// Kinds of record kept; a G1 configuration has a few dozen.
    static let maxKinds = 256

    private let latest = NIOLockedValueBox<[String: TelemetryRecord]>([:])

    public init() {}

    func offer(_ records: [TelemetryRecord]) {
        latest.withLockedValue { latest in
            for record in records {
                let kind = Self.firstKey(of: record.members)
                if latest[kind] == nil, latest.count >= Self.maxKinds { continue }
                latest[kind] = record
            }
        }
    }

    /// The records to send now, oldest first; the feed is empty afterwards.
    func take() -> [TunnelMessage] {
        let records = latest.withLockedValue { latest in
            defer { latest.removeAll() }
            return latest.values.sorted { $0.timestamp < $1.timestamp }
        }
        return records.map { .telemetry(ByteBuffer(string: "{\"ts\":\($0.timestamp),\"values\":{\($0.members)}}")) }
    }

    /// The latest record of each kind, oldest first; the feed keeps them.
    func newest() -> [TelemetryRecord] {
        latest.withLockedValue { $0.values.sorted { $0.timestamp < $1.timestamp } }
    }

    /// A record of the BMS's firmware version (`firmwareVersion`, as the BMS's VR1 answer
    /// gave it), stamped now.
    static func firmwareRecord(_ version: String, now: Date = Date()) -> TunnelMessage {
        let text = (try? JSONEncoder().encode(version)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
        let ts = Int64(now.timeIntervalSince1970 * 1000)
        return .telemetry(ByteBuffer(string: "{\"ts\":\(ts),\"values\":{\"firmwareVersion\":\(text)}}"))
    }

    /// `soc` in `"soc":81.5,"current":-12.5`.
    static func firstKey(of members: String) -> String {
        guard members.hasPrefix("\""), let end = members.dropFirst().firstIndex(of: "\"") else { return members }
        return String(members[members.index(after: members.startIndex)..<end])
    }
}
