import Logging

/// Structured logs to standard error, one line per event with its metadata.
public enum LogSetup {
    /// Bootstraps swift-log once per process at `level` (trace, debug, info, notice, warning, error).
    public static func bootstrap(level: String) {
        let parsed = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = parsed
            return handler
        }
    }
}
