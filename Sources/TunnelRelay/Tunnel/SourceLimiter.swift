import NIOCore

/// Bounds on what one source address may take of the relay: connections open at once, and
/// authentication failures within a window (after which its new connections are refused
/// until the window passes). Rules only: the time is given, nothing is closed here.
public struct SourceLimiter: Sendable {
    public struct Configuration: Sendable {
        /// Connections one address may hold at once. Gateways behind one carrier NAT share an
        /// address, so this is generous; it stops a single host from exhausting descriptors.
        public let maxConnectionsPerSource: Int
        /// Failed authentications (bad token, unknown or revoked device, no certificate) one
        /// address may make within `failureWindow`.
        public let maxAuthFailuresPerSource: Int
        public let failureWindow: TimeAmount

        public init(maxConnectionsPerSource: Int = 1_024, maxAuthFailuresPerSource: Int = 30, failureWindow: TimeAmount = .seconds(60)) {
            self.maxConnectionsPerSource = maxConnectionsPerSource
            self.maxAuthFailuresPerSource = maxAuthFailuresPerSource
            self.failureWindow = failureWindow
        }
    }

    /// Whether a new connection may proceed.
    public enum Admission: Equatable, Sendable {
        case allowed
        case refused(String)
    }

    private let configuration: Configuration
    private var open: [String: Int] = [:]
    private var failures: [String: [NIODeadline]] = [:]

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// A connection from `source` arrived at `now`.
    public mutating func connectionOpened(from source: String, now: NIODeadline) -> Admission {
        let recent = pruneFailures(of: source, now: now)
        if recent >= configuration.maxAuthFailuresPerSource {
            return .refused("\(recent) failed authentications from \(source) in the last \(configuration.failureWindow.nanoseconds / 1_000_000_000) s")
        }
        let count = open[source, default: 0]
        guard count < configuration.maxConnectionsPerSource else {
            return .refused("\(source) already holds \(count) connections, the limit per address")
        }
        open[source] = count + 1
        return .allowed
    }

    /// Why `source` is refused at `now` for too many failed authentications, or nil.
    public mutating func lockout(of source: String, now: NIODeadline) -> String? {
        let recent = pruneFailures(of: source, now: now)
        guard recent >= configuration.maxAuthFailuresPerSource else { return nil }
        return "\(recent) failed authentications from \(source) in the last \(configuration.failureWindow.nanoseconds / 1_000_000_000) s"
    }

    /// Connections open now, over every source.
    public var openConnections: Int { open.values.reduce(0, +) }

    /// An admitted connection from `source` closed.
    public mutating func connectionClosed(from source: String) {
        guard let count = open[source] else { return }
        open[source] = count > 1 ? count - 1 : nil
    }

    /// A connection from `source` failed to authenticate at `now`.
    public mutating func authenticationFailed(from source: String, now: NIODeadline) {
        _ = pruneFailures(of: source, now: now)
        failures[source, default: []].append(now)
    }

    /// Forgets failures older than the window; returns how many remain.
    private mutating func pruneFailures(of source: String, now: NIODeadline) -> Int {
        guard var times = failures[source] else { return 0 }
        times.removeAll { now - $0 >= configuration.failureWindow }
        failures[source] = times.isEmpty ? nil : times
        return times.count
    }
}
