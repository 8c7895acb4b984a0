import Foundation

/// A browser signed in to the web console. The cookie carries a random token; the store keeps
/// only its SHA-256, so a copy of the database signs no one in. Every relay node sharing the
/// store knows the session.
public struct ConsoleSessionRecord: Sendable, Equatable {
    /// SHA-256 of the cookie's token.
    public var tokenHash: [UInt8]
    /// The user signed in.
    public var userID: String
    /// The session's anti-forgery token, put in every state-changing form and checked on the
    /// server against this value.
    public var csrfToken: String
    public var createdAt: Date
    /// The last request made with the session (written at most once a minute).
    public var lastUsedAt: Date

    public init(tokenHash: [UInt8], userID: String, csrfToken: String, createdAt: Date, lastUsedAt: Date) {
        self.tokenHash = tokenHash
        self.userID = userID
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}
