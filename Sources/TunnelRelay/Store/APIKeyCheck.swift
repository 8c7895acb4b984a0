import Foundation

/// The verdict on a presented API key, the same for every store.
enum APIKeyCheck {
    case good(APIKeyRecord)
    case unknown
    case revoked(APIKeyRecord)

    /// Compares the secrets in constant time. A wrong secret reads as an unknown key, so a
    /// guess learns nothing beyond which key IDs (not secret) exist.
    init(stored: APIKeyRecord?, presented: APIKey) {
        guard let stored, constantTimeEqual(stored.secretHash, presented.secretHash) else {
            self = .unknown
            return
        }
        self = stored.revokedAt == nil ? .good(stored) : .revoked(stored)
    }

    /// What the caller is told about a refused key.
    var refusal: APIKeyVerification {
        if case .revoked = self { return .revoked }
        return .unknown
    }

    /// The audit entry for a refused key.
    func refusalEntry(keyID: String, at: Date) -> AuditEntry {
        switch self {
        case .revoked(let record):
            AuditEntry(at: at, event: .apiKeyRefused, actor: "api", userID: record.userID, reason: "key \(keyID) is revoked")
        case .good, .unknown:
            AuditEntry(at: at, event: .apiKeyRefused, actor: "api", reason: "no key \(keyID) with this secret")
        }
    }
}

extension APIKeyRecord {
    /// How stale `lastUsedAt` may get before a use writes it again: a busy key does not
    /// turn every request into a write.
    public static let lastUsedGranularity: TimeInterval = 60

    func lastUsedIsStale(at now: Date) -> Bool {
        guard let lastUsedAt else { return true }
        return now.timeIntervalSince(lastUsedAt) >= Self.lastUsedGranularity
    }
}
