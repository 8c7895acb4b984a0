import Foundation

/// An operator's API key: `ak1.<key id>.<secret>`.
///
/// The key ID finds the row; the 256-bit secret is stored only as its SHA-256 and compared
/// in constant time (a slow password hash adds nothing for a random secret of this size).
public struct APIKey: Sendable, Equatable, CustomStringConvertible {
    public let keyID: String
    public let secret: String

    /// A fresh key with a random ID and secret.
    public static func generate() -> APIKey {
        APIKey(keyID: RandomText.hex(bytes: 12), secret: RandomText.base64URL(bytes: 32))
    }

    public init(keyID: String, secret: String) {
        self.keyID = keyID
        self.secret = secret
    }

    /// Parses a key, or returns `nil` when the text is not one.
    public init?(parsing text: String) {
        guard let (id, secret) = parseThreePartSecret(text, prefix: "ak1") else { return nil }
        self.init(keyID: id, secret: secret)
    }

    public var description: String { "ak1.\(keyID).\(secret)" }

    /// The hash stored in place of the secret.
    public var secretHash: [UInt8] { SessionToken.hash(secret) }
}

/// An API key as the store keeps it.
public struct APIKeyRecord: Sendable, Equatable {
    public var id: String
    /// The user the key acts as.
    public var userID: String
    /// What the key is for, as its owner named it.
    public var name: String
    /// SHA-256 of the secret.
    public var secretHash: [UInt8]
    public var createdAt: Date
    public var revokedAt: Date?
    public var lastUsedAt: Date?

    public init(
        id: String, userID: String, name: String, secretHash: [UInt8], createdAt: Date, revokedAt: Date? = nil,
        lastUsedAt: Date? = nil
    ) {
        self.id = id
        self.userID = userID
        self.name = name
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.lastUsedAt = lastUsedAt
    }

    /// A record for a freshly generated `key`.
    public init(key: APIKey, userID: String, name: String, createdAt: Date) {
        self.init(id: key.keyID, userID: userID, name: name, secretHash: key.secretHash, createdAt: createdAt)
    }
}

/// The outcome of presenting an API key.
public enum APIKeyVerification: Sendable, Equatable {
    /// The key is good; it acts as `user`.
    case valid(APIKeyRecord, UserRecord)
    /// No key has this ID, or the secret is wrong.
    case unknown
    case revoked
}
