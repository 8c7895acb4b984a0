import Logging

/// Structured logs to standard error, one line per event with its metadata, and the newest
/// lines also in memory (`LogRing.shared`).
public enum LogSetup {
    /// Bootstraps swift-log once per process at `level`.
    public static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            var ring = LogRingHandler(label: label, ring: .shared)
            ring.logLevel = level
            return MultiplexLogHandler([handler, ring])
        }
    }
}
