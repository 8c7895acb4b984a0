import Foundation
import SharedWire

/// One line of the audit log: who did what to which device or session, and when.
public struct AuditEntry: Sendable, Equatable {
    /// Assigned by the store; increases with insertion.
    public var id: Int64?
    public var at: Date
    public var event: AuditEvent
    /// Who acted: a user, `cli` (the relay host's operator), `relay`, `relay:takeover` (an
    /// administrator's control session on another node took a device over),
    /// `relay:agent-refused` (an agent refused a session of another node), or a device.
    public var actor: String

    /// The actor of the `session.end_requested` entries a take-over on another node writes.
    public static let takeOverActor = "relay:takeover"
    /// The actor of the `session.end_requested` entry a node writes when an agent connected to
    /// it refused a session whose client waits on another node.
    public static let agentRefusalActor = "relay:agent-refused"
    /// The user concerned (the session's user, the key's owner).
    public var userID: String?
    public var deviceID: String?
    public var sessionID: String?
    public var mode: TunnelMessage.SessionMode?
    /// Why: an end or refusal reason, or what changed.
    public var reason: String
    /// The peer's address, when the event came over the network.
    public var source: String?
    /// For an ended session: when it started (its claim, or its creation if never claimed).
    public var startedAt: Date?
    public var bytesToDevice: UInt64?
    public var bytesFromDevice: UInt64?

    public init(
        id: Int64? = nil, at: Date, event: AuditEvent, actor: String, userID: String? = nil, deviceID: String? = nil,
        sessionID: String? = nil, mode: TunnelMessage.SessionMode? = nil, reason: String = "", source: String? = nil,
        startedAt: Date? = nil, bytesToDevice: UInt64? = nil, bytesFromDevice: UInt64? = nil
    ) {
        self.id = id
        self.at = at
        self.event = event
        self.actor = Self.bounded(actor, Self.maxNameBytes)
        self.userID = userID.map { Self.bounded($0, Self.maxNameBytes) }
        self.deviceID = deviceID.map { Self.bounded($0, Self.maxNameBytes) }
        self.sessionID = sessionID.map { Self.bounded($0, Self.maxNameBytes) }
        self.mode = mode
        self.reason = Self.bounded(reason, Self.maxReasonBytes)
        self.source = source.map { Self.bounded($0, Self.maxNameBytes) }
        self.startedAt = startedAt
        self.bytesToDevice = bytesToDevice
        self.bytesFromDevice = bytesFromDevice
    }
}

extension AuditEntry {
    /// Longest reason kept, in UTF-8 bytes. Reasons carry a peer's words (a `GOING_AWAY` or
    /// `CLOSE_SESSION` message of up to 4 096 bytes), so every entry is bounded where it is made.
    public static let maxReasonBytes = 1_024
    /// Longest actor, user, device, session ID or source kept, in UTF-8 bytes.
    public static let maxNameBytes = 256

    /// `text` cut to at most `limit` UTF-8 bytes at a character boundary, marked with "…".
    static func bounded(_ text: String, _ limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var cut = ""
        var bytes = "…".utf8.count
        for character in text {
            bytes += character.utf8.count
            if bytes > limit { break }
            cut.append(character)
        }
        return cut + "…"
    }
}

/// What an audit entry records. Open: a part of the relay may add its own.
public struct AuditEvent: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    public static let customerAdded = AuditEvent(rawValue: "customer.added")
    public static let deviceRegistered = AuditEvent(rawValue: "device.registered")
    public static let registrationRefused = AuditEvent(rawValue: "device.registration_refused")
    public static let credentialChanged = AuditEvent(rawValue: "device.credential_changed")
    /// A certificate was issued to a connected agent for renewal (not yet in use).
    public static let certificateIssued = AuditEvent(rawValue: "device.certificate_issued")
    /// An administrator asked a device's agent for a diagnostic bundle; it arrived; it did not.
    public static let diagnosticsRequested = AuditEvent(rawValue: "device.diagnostics_requested")
    /// An administrator asked, through another relay node, for a device's agent to renew its
    /// certificate; the node holding the agent's control connection passes it on.
    public static let renewalRequested = AuditEvent(rawValue: "device.renewal_requested")
    /// An administrator asked, through another relay node, for a device's diagnostic bundle;
    /// the node holding the agent's control connection passes it on (the reason names the bundle).
    public static let diagnosticsForwarded = AuditEvent(rawValue: "device.diagnostics_forwarded")
    public static let diagnosticsReceived = AuditEvent(rawValue: "device.diagnostics_received")
    public static let diagnosticsFailed = AuditEvent(rawValue: "device.diagnostics_failed")
    public static let deviceReset = AuditEvent(rawValue: "device.reset")
    public static let deviceRevoked = AuditEvent(rawValue: "device.revoked")
    /// An administrator moved a device to another customer.
    public static let deviceMoved = AuditEvent(rawValue: "device.moved")
    /// An agent's connection was refused (unknown or revoked device, bad certificate).
    public static let agentRefused = AuditEvent(rawValue: "device.agent_refused")
    public static let userAdded = AuditEvent(rawValue: "user.added")
    /// A user's role or customers changed.
    public static let userChanged = AuditEvent(rawValue: "user.changed")
    public static let apiKeyCreated = AuditEvent(rawValue: "api_key.created")
    public static let apiKeyRevoked = AuditEvent(rawValue: "api_key.revoked")
    /// A presented API key was unknown, wrong or revoked.
    public static let apiKeyRefused = AuditEvent(rawValue: "api_key.refused")
    /// A user's console password was set (`tunnel-relay user passwd`).
    public static let passwordSet = AuditEvent(rawValue: "user.password_set")
    /// Someone signed in to the web console, failed to, signed out, or signed out of every other
    /// browser.
    public static let consoleSignIn = AuditEvent(rawValue: "console.sign_in")
    public static let consoleSignInRefused = AuditEvent(rawValue: "console.sign_in_refused")
    public static let consoleSignOut = AuditEvent(rawValue: "console.sign_out")
    public static let consoleSignedOutElsewhere = AuditEvent(rawValue: "console.signed_out_elsewhere")
    public static let sessionCreated = AuditEvent(rawValue: "session.created")
    public static let sessionClaimed = AuditEvent(rawValue: "session.claimed")
    /// An administrator opened a take-over session in the web console, with the reason given.
    public static let sessionTakeOver = AuditEvent(rawValue: "session.take_over")
    public static let sessionEnded = AuditEvent(rawValue: "session.ended")
    /// An operator asked for a running session to end (`tunnel-relay session end`); the relay
    /// holding it closes it.
    public static let sessionEndRequested = AuditEvent(rawValue: "session.end_requested")

    /// The events every relay node acts on when another node or a command wrote them: it cuts
    /// a revoked or reset device's connections, ends the sessions it runs that were asked to
    /// end, and passes renewal and diagnostic bundle requests on to the agents it holds.
    /// Writing one tells the other nodes at once where the store can (`changeNotice`).
    public static let followedByEveryNode: Set<AuditEvent> = [
        .deviceRevoked, .deviceReset, .sessionEndRequested, .renewalRequested, .diagnosticsForwarded,
    ]
    /// A presented session token was unknown, expired or used.
    public static let sessionRefused = AuditEvent(rawValue: "session.refused")
    /// A monitor session's client asked for a serial control operation that changes the line;
    /// the relay refused it (recorded once per session, every refusal is logged).
    public static let serialControlRefused = AuditEvent(rawValue: "session.serial_control_refused")
}

/// Which audit entries to read. Every criterion given must hold.
public struct AuditQuery: Sendable, Equatable {
    public var deviceID: String?
    /// Entries about this user or made by them (`userID` or `actor`).
    public var userID: String?
    /// From this time on, inclusive.
    public var since: Date?
    /// Before this time, exclusive.
    public var until: Date?
    /// A cursor: only entries whose `id` is greater, and then the *oldest* `limit` of them
    /// (for reading forward, as a watcher or a client tailing the log does).
    public var afterID: Int64?
    /// A cursor: only entries whose `id` is smaller (for paging back from the newest).
    public var beforeID: Int64?
    /// At most this many entries: the newest of those that match (still returned oldest
    /// first), or with `afterID` the oldest.
    public var limit: Int
    /// Only entries of this event (its raw value, such as `session.created`).
    public var event: String?

    public init(
        deviceID: String? = nil, userID: String? = nil, since: Date? = nil, until: Date? = nil, afterID: Int64? = nil,
        beforeID: Int64? = nil, limit: Int = 1_000, event: String? = nil
    ) {
        self.event = event
        self.deviceID = deviceID
        self.userID = userID
        self.since = since
        self.until = until
        self.afterID = afterID
        self.beforeID = beforeID
        self.limit = limit
    }

    /// Entries ordered by `id` (the store's insertion order) when a cursor is given, else by time.
    var ordersByID: Bool { afterID != nil || beforeID != nil }
}
