import Crypto
import Foundation
import SharedWire

/// A one-time session token: `st1.<session id>.<secret>`.
///
/// The session ID finds the row; the 256-bit secret proves possession and is stored only as
/// its SHA-256 (a slow hash adds nothing for a random secret of this size).
public struct SessionToken: Sendable, Equatable, CustomStringConvertible {
    public let sessionID: String
    public let secret: String

    /// A fresh token with a random session ID and secret.
    public static func generate() -> SessionToken {
        SessionToken(sessionID: RandomText.hex(bytes: 12), secret: RandomText.base64URL(bytes: 32))
    }

    public init(sessionID: String, secret: String) {
        self.sessionID = sessionID
        self.secret = secret
    }

    /// Parses a token, or returns `nil` when the text is not one.
    public init?(parsing text: String) {
        guard let (id, secret) = parseThreePartSecret(text, prefix: "st1"), TunnelIdentifier.isValid(id) else { return nil }
        self.init(sessionID: id, secret: secret)
    }

    public var description: String { "st1.\(sessionID).\(secret)" }

    /// The hash stored in place of the secret.
    public var secretHash: [UInt8] { Self.hash(secret) }

    public static func hash(_ secret: String) -> [UInt8] { Array(SHA256.hash(data: Data(secret.utf8))) }
}

/// Splits `<prefix>.<id>.<secret>`, with bounded lengths; `nil` when `text` is not of that form.
func parseThreePartSecret(_ text: String, prefix: String) -> (id: String, secret: String)? {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0] == prefix, !parts[1].isEmpty, !parts[2].isEmpty,
        parts[1].count <= 64, parts[2].count <= 128
    else { return nil }
    return (String(parts[1]), String(parts[2]))
}

/// Compares two byte strings in time that depends only on their length.
public func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}
