import Crypto
import Foundation

/// Who may use the local admin page, without I/O: sign-in with the passkey, sessions that end
/// after `timeout` seconds without a request, and sign-in failures limited per source address
/// and overall. Given the time, never reading a clock.
struct AdminPageGate {
    /// Failed sign-ins from one address before it must wait, and how long.
    static let failuresBeforeLockout = 5
    static let lockout: TimeInterval = 60
    /// Failed sign-ins from all addresses within `lockout` before everyone waits: guessing
    /// from many addresses is slowed as well.
    static let failuresOverall = 20
    /// Sessions at once (the oldest goes), and addresses whose failures are remembered.
    static let maxSessions = 16
    static let maxSources = 256

    struct Session {
        let csrfToken: String
        var lastUsed: Date
    }

    enum SignIn: Equatable {
        /// Signed in: the session's cookie value.
        case signedIn(session: String)
        case wrongPasskey
        /// Too many failures; try again after this many seconds.
        case lockedOut(seconds: Int)
    }

    private let passkeyDigest: [UInt8]
    private let timeout: TimeInterval
    private(set) var sessions: [String: Session] = [:]
    private var failures: [String: [Date]] = [:]
    private var recentFailures: [Date] = []

    init(passkey: String, timeout: Int) {
        passkeyDigest = Array(SHA256.hash(data: Array(passkey.utf8)))
        self.timeout = TimeInterval(max(timeout, 1))
    }

    mutating func signIn(passkey: String, from source: String, now: Date, newToken: () -> String) -> SignIn {
        forgetOld(now: now)
        let mine = failures[source] ?? []
        if mine.count >= Self.failuresBeforeLockout || recentFailures.count >= Self.failuresOverall {
            let oldest = (mine.count >= Self.failuresBeforeLockout ? mine : recentFailures).first ?? now
            return .lockedOut(seconds: max(1, Int((oldest + Self.lockout).timeIntervalSince(now).rounded(.up))))
        }
        // Compared as digests of equal length, every byte looked at: no early exit to time.
        let digest = Array(SHA256.hash(data: Array(passkey.utf8)))
        guard zip(digest, passkeyDigest).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else {
            if failures[source] == nil, failures.count >= Self.maxSources {
                failures.remove(at: failures.startIndex)
            }
            failures[source, default: []].append(now)
            recentFailures.append(now)
            return .wrongPasskey
        }
        failures[source] = nil
        if sessions.count >= Self.maxSessions, let oldest = sessions.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
            sessions[oldest.key] = nil
        }
        let token = newToken()
        sessions[token] = Session(csrfToken: newToken(), lastUsed: now)
        return .signedIn(session: token)
    }

    /// The session of this cookie, renewed, or nil when there is none or it timed out.
    mutating func session(_ token: String?, now: Date) -> Session? {
        guard let token, var session = sessions[token] else { return nil }
        guard now.timeIntervalSince(session.lastUsed) <= timeout else {
            sessions[token] = nil
            return nil
        }
        session.lastUsed = now
        sessions[token] = session
        return session
    }

    mutating func signOut(_ token: String?) {
        if let token { sessions[token] = nil }
    }

    private mutating func forgetOld(now: Date) {
        let horizon = now - Self.lockout
        recentFailures.removeAll { $0 <= horizon }
        failures = failures.compactMapValues { dates in
            let kept = dates.filter { $0 > horizon }
            return kept.isEmpty ? nil : kept
        }
        sessions = sessions.filter { now.timeIntervalSince($0.value.lastUsed) <= timeout }
    }
}
