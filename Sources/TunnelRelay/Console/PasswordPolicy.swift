import Foundation
import HummingbirdBcrypt

/// Console passwords: what is accepted and how it is stored.
public enum PasswordPolicy {
    /// Shortest password accepted, in characters.
    public static let minimumLength = 12
    /// bcrypt's cost: 2^12 rounds (docs/CONSOLE.md gives the time one check takes).
    public static let bcryptCost: UInt8 = 12

    /// A password refused, with why.
    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
    }

    /// The bcrypt hash to store for `password`, or a refusal naming what is wrong.
    public static func hash(_ password: String) throws -> String {
        guard password.count >= minimumLength else {
            throw Refusal(description: "the password has \(password.count) characters; at least \(minimumLength) are required")
        }
        guard password.utf8.count <= 72 else {
            throw Refusal(description: "the password has \(password.utf8.count) bytes; bcrypt uses at most 72, so use a shorter one")
        }
        return Bcrypt.hash(password, cost: bcryptCost)
    }

    /// Whether `password` matches the stored `hash`.
    public static func verify(_ password: String, hash: String) -> Bool {
        Bcrypt.verify(password, hash: hash)
    }
}
