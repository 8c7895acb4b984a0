import Foundation

/// Ends a session for an operator (`tunnel-relay session end`) or through the admin API, on
/// whichever relay node holds it: this node closes it at once if it has it; otherwise a
/// waiting session's token is withdrawn in the store, and a `session.end_requested` audit
/// entry asks the node running it to close it (every node follows the audit log, see
/// `RevocationWatch`).
enum SessionEnder {
    /// What ending came to.
    enum Outcome: Equatable {
        /// It had ended before.
        case alreadyEnded
        /// This node held it and closed it.
        case closedHere
        /// Its token no longer works; a node running it closes it within the revocation check interval.
        case requested
    }

    /// Ends `session` for `actor` with `reason`; `closeHere` closes it on this node when this
    /// node has it (nil for a process that holds no sessions, like the CLI).
    static func end(
        _ session: SessionRecord, reason: String, actor: String, store: any RelayStore,
        closeHere: ((String) -> Bool)? = nil, now: Date = Date()
    ) async throws -> Outcome {
        guard session.ending == nil else { return .alreadyEnded }
        if let closeHere, closeHere(session.id) { return .closedHere }
        if session.claimedAt == nil {
            // A waiting session: its token stops working (a claim checks that it has not ended).
            try await store.endSession(
                id: session.id, ending: SessionEnding(endedAt: now, reason: reason, bytesToDevice: 0, bytesFromDevice: 0))
        }
        // Running somewhere, or claimed since it was read: the node holding it closes it.
        try await store.appendAudit(
            AuditEntry(
                at: now, event: .sessionEndRequested, actor: actor, deviceID: session.deviceID, sessionID: session.id, reason: reason))
        return .requested
    }
}
