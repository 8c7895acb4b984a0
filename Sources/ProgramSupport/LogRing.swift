import Foundation
import Logging
import NIOConcurrencyHelpers

/// The newest log lines of the process, kept in memory for a page that shows them (the
/// agent's local admin page). Bounded: the oldest line goes when a new one comes.
public final class LogRing: Sendable {
    /// The ring every `LogSetup.bootstrap` handler writes to.
    public static let shared = LogRing(capacity: 200)

    private let capacity: Int
    private let lines = NIOLockedValueBox<[String]>([])

    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// The lines kept, oldest first.
    public var snapshot: [String] { lines.withLockedValue { $0 } }

    func append(_ line: String) {
        lines.withLockedValue { lines in
            if lines.count >= capacity { lines.removeFirst(lines.count - capacity + 1) }
            lines.append(line)
        }
    }
}

/// A log handler that writes each event as one line into a `LogRing`.
struct LogRingHandler: LogHandler {
    let label: String
    let ring: LogRing
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let details = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let time = Date().formatted(.iso8601)
        ring.append("\(time) \(event.level) [\(label)] \(event.message)\(details.isEmpty ? "" : " " + details)")
    }
}
