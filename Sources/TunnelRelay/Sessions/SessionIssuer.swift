import Foundation
import SharedWire

/// Opens Control Panel sessions for the CLI and the admin API alike: checks the device and
/// the user's role and customers, audits a refusal, stores the session with its one-time token.
public enum SessionIssuer {
    /// What is asked for.
    public struct Request: Sendable {
        public let deviceID: String
        public let mode: TunnelMessage.SessionMode
        /// Seconds the token stays valid.
        public let ttl: Int
        /// The user the session is for (an operator's own label on the CLI when no such user exists).
        public let userID: String
        public let takeOver: Bool
        /// host:port put in the connect URL.
        public let publicAddress: String

        public init(
            deviceID: String, mode: TunnelMessage.SessionMode, ttl: Int = 300, userID: String, takeOver: Bool = false, publicAddress: String
        ) {
            self.deviceID = deviceID
            self.mode = mode
            self.ttl = ttl
            self.userID = userID
            self.takeOver = takeOver
            self.publicAddress = publicAddress
        }
    }

    /// A session ready for its client.
    public struct Issued: Sendable {
        public let record: SessionRecord
        public let token: SessionToken
        /// `bmstunnel://host:port/<token>`.
        public let url: String
    }

    /// Why a session was not opened; `kind` says which HTTP status fits.
    public struct Refusal: Error, CustomStringConvertible {
        public enum Kind: Sendable { case notFound, conflict, forbidden, invalid }
        public let kind: Kind
        /// What the caller is told.
        public let description: String
        /// What the audit log records, when it says more than the caller may learn.
        let auditReason: String?

        init(kind: Kind, description: String, auditReason: String? = nil) {
            self.kind = kind
            self.description = description
            self.auditReason = auditReason
        }
    }

    /// The longest a token may be valid.
    public static let maxTTL = 86_400

    /// Opens the session. `account` is the user acting (nil: the relay host's operator under a
    /// label); `controlHolder` tells who holds a control session on the device now, if anyone.
    public static func issue(
        _ request: Request, account: UserRecord?, store: any RelayStore, now: Date = Date(),
        controlHolder: (String) -> (user: String, since: Date?)? = { _ in nil }
    ) async throws -> Issued {
        guard (1...maxTTL).contains(request.ttl) else {
            throw Refusal(kind: .invalid, description: "ttl must be 1 to \(maxTTL) seconds, got \(request.ttl)")
        }
        if request.takeOver && request.mode != .control {
            throw Refusal(kind: .invalid, description: "takeOver is for control sessions")
        }
        let device = try await store.device(id: request.deviceID)
        if let reason = refusal(account, request, device) ?? busy(request, controlHolder) {
            try await store.appendAudit(
                AuditEntry(
                    at: now, event: .sessionRefused, actor: account == nil ? "cli" : "api", userID: request.userID,
                    deviceID: request.deviceID, mode: request.mode, reason: reason.auditReason ?? reason.description))
            throw reason
        }
        let token = SessionToken.generate()
        let record = SessionRecord(
            id: token.sessionID, deviceID: request.deviceID, mode: request.mode, createdBy: request.userID, createdAt: now,
            expiresAt: now.addingTimeInterval(Double(request.ttl)), tokenHash: token.secretHash, takeOver: request.takeOver)
        try await store.createSession(record)
        return Issued(record: record, token: token, url: "bmstunnel://\(request.publicAddress)/\(token)")
    }

    private static func refusal(_ account: UserRecord?, _ request: Request, _ device: DeviceRecord?) -> Refusal? {
        guard let device else { return Refusal(kind: .notFound, description: "no device \(request.deviceID)") }
        if let account, !account.maySee(device) {
            // Not told whether the device exists elsewhere; the audit log says whose it is.
            return Refusal(
                kind: .notFound, description: "no device \(request.deviceID) among user \(account.id)'s customers",
                auditReason: "user \(account.id) may not reach device \(device.id) of customer \(device.customer)")
        }
        guard device.isAccepted else {
            return Refusal(
                kind: .conflict, description: "device \(request.deviceID) is \(device.registeredAt == nil ? "reset" : "revoked")")
        }
        guard let account else { return nil }
        if !account.mayOpen(request.mode, on: device) {
            return Refusal(
                kind: .forbidden, description: "user \(account.id) has role \(account.role), which may not open \(request.mode) sessions")
        }
        if request.takeOver && !account.mayTakeOver {
            return Refusal(
                kind: .forbidden, description: "only administrators may take a device over; user \(account.id) has role \(account.role)")
        }
        return nil
    }

    private static func busy(_ request: Request, _ controlHolder: (String) -> (user: String, since: Date?)?) -> Refusal? {
        guard request.mode == .control, !request.takeOver, let holder = controlHolder(request.deviceID) else { return nil }
        let since = holder.since.map { " since \(ISO8601DateFormatter().string(from: $0))" } ?? ""
        return Refusal(kind: .conflict, description: "device \(request.deviceID) has a control session by \(holder.user)\(since)")
    }
}
