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

        /// Sources whose recent failures are remembered at once. Past it, the source whose last
        /// failure is oldest is forgotten first: many addresses (an IPv6 prefix holds billions)
        /// cannot grow the limiter without bound.
        public let maxTrackedSources: Int

        public init(
            maxConnectionsPerSource: Int = 1_024, maxAuthFailuresPerSource: Int = 30, failureWindow: TimeAmount = .seconds(60),
            maxTrackedSources: Int = 65_536
        ) {
            self.maxConnectionsPerSource = maxConnectionsPerSource
            self.maxAuthFailuresPerSource = maxAuthFailuresPerSource
            self.failureWindow = failureWindow
            self.maxTrackedSources = maxTrackedSources
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
    /// When every source's failures were last pruned.
    private var lastSweep: NIODeadline?

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// A connection from `source` arrived at `now`.
    public mutating func connectionOpened(from source: String, now: NIODeadline) -> Admission {
        sweep(now: now)
        let recent = pruneFailures(of: source, now: now)
        if recent >= configuration.maxAuthFailuresPerSource {
            return .refused(
                "\(recent) failed authentications from \(source) in the last \(configuration.failureWindow.nanoseconds / 1_000_000_000) s")
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

    /// Sources the limiter holds state for (open connections or recent failures).
    public var trackedSources: Int { Set(open.keys).union(failures.keys).count }

    /// A connection from `source` failed to authenticate at `now`.
    public mutating func authenticationFailed(from source: String, now: NIODeadline) {
        sweep(now: now)
        _ = pruneFailures(of: source, now: now)
        var times = failures[source, default: []]
        times.append(now)
        // Only the last `maxAuthFailuresPerSource` matter for the lockout.
        if times.count > configuration.maxAuthFailuresPerSource { times.removeFirst(times.count - configuration.maxAuthFailuresPerSource) }
        failures[source] = times
        if failures.count > configuration.maxTrackedSources,
            let stalest = failures.min(by: { ($0.value.last ?? now) < ($1.value.last ?? now) })?.key
        {
            failures[stalest] = nil
        }
    }

    /// Forgets every source whose failures all fell out of the window, once per window: a
    /// source that never comes back does not stay.
    private mutating func sweep(now: NIODeadline) {
        if let last = lastSweep, now - last < configuration.failureWindow { return }
        lastSweep = now
        let window = configuration.failureWindow
        failures = failures.filter { _, times in times.contains { now - $0 < window } }
    }

    /// Forgets failures older than the window; returns how many remain.
    private mutating func pruneFailures(of source: String, now: NIODeadline) -> Int {
        guard var times = failures[source] else { return 0 }
        times.removeAll { now - $0 >= configuration.failureWindow }
        failures[source] = times.isEmpty ? nil : times
        return times.count
    }
}
