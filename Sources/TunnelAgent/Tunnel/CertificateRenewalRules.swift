import Foundation

/// When the agent asks the relay for a new certificate, and whether an answer is one it is
/// waiting for. Rules only: the time is given, nothing is sent here.
struct CertificateRenewalRules: Equatable {
    /// What to do after an input.
    enum Action: Equatable {
        case none
        /// Make a new key and send a signing request for it; `reason` is for the log.
        case request(reason: String)
        /// The answer is to the request in flight: check it and install it.
        case install
        /// The answer matches no request in flight: drop it.
        case discard
    }

    /// Renew when fewer than this many seconds are left; 0: only when the relay asks.
    let renewBefore: TimeInterval
    /// How long a request waits for its answer before a later check may send another (a
    /// relay that does not know the frame skips it silently).
    static let answerTimeout: TimeInterval = 60

    /// When the request in flight was sent.
    private(set) var requestedAt: Date?

    init(renewBeforeDays: Int) {
        renewBefore = TimeInterval(renewBeforeDays) * 86_400
    }

    /// Gives up on a request unanswered for `answerTimeout`; true when it did.
    mutating func abandonUnanswered(now: Date) -> Bool {
        guard let sent = requestedAt, now.timeIntervalSince(sent) > Self.answerTimeout else { return false }
        requestedAt = nil
        return true
    }

    /// A periodic look at the certificate in use, which expires at `notAfter`.
    mutating func check(notAfter: Date, now: Date) -> Action {
        guard requestedAt == nil, renewBefore > 0, notAfter.timeIntervalSince(now) < renewBefore else { return .none }
        return send("it expires within \(Int(renewBefore / 86_400)) days", now)
    }

    /// The relay asked for a renewal now.
    mutating func relayAsked(_ reason: String, now: Date) -> Action {
        guard requestedAt == nil else { return .none }
        return send(reason.isEmpty ? "the relay asked" : reason, now)
    }

    /// The relay answered a signing request.
    mutating func answered() -> Action {
        guard requestedAt != nil else { return .discard }
        requestedAt = nil
        return .install
    }

    /// The request could not be made or sent: none is in flight.
    mutating func requestFailed() {
        requestedAt = nil
    }

    private mutating func send(_ reason: String, _ now: Date) -> Action {
        requestedAt = now
        return .request(reason: reason)
    }
}
