import Foundation

/// How long a console sign-in lasts, and the cookie that carries it: every constant of the
/// console's sessions is here.
public enum ConsoleSessionPolicy {
    /// A session unused for this long is over (30 minutes).
    public static let idleTimeout: TimeInterval = 30 * 60
    /// A session is over this long after sign-in, however busy (12 hours).
    public static let absoluteTimeout: TimeInterval = 12 * 60 * 60
    /// The store's note of a session's last use is refreshed at most this often, so browsing
    /// is not a write per page.
    public static let touchInterval: TimeInterval = 60
    /// The cookie's name.
    public static let cookieName = "tunnel_console"
    /// Random bytes in a session token (256 bits) and in an anti-forgery token.
    public static let tokenBytes = 32

    /// What a stored session allows at `now`.
    public enum Verdict: Equatable, Sendable {
        /// Valid; `touch` when its last use should be written again.
        case valid(touch: Bool)
        /// Idle too long, or too old: the browser signs in again.
        case expired
    }

    public static func verdict(for session: ConsoleSessionRecord, now: Date) -> Verdict {
        if now.timeIntervalSince(session.createdAt) >= absoluteTimeout { return .expired }
        let idle = now.timeIntervalSince(session.lastUsedAt)
        if idle >= idleTimeout { return .expired }
        return .valid(touch: idle >= touchInterval)
    }

    /// The `Set-Cookie` value that stores `token` in the browser: never readable by script,
    /// sent only over HTTPS, only to the console's own pages and never from another site.
    public static func cookie(token: String) -> String {
        "\(cookieName)=\(token); Path=/console; HttpOnly; Secure; SameSite=Strict; Max-Age=\(Int(absoluteTimeout))"
    }

    /// The `Set-Cookie` value that removes the cookie.
    public static var clearingCookie: String {
        "\(cookieName)=; Path=/console; HttpOnly; Secure; SameSite=Strict; Max-Age=0"
    }
}
