import Crypto
import Foundation

/// Random tokens of the console (session cookies, anti-forgery tokens) and their checks.
public enum ConsoleToken {
    /// `ConsoleSessionPolicy.tokenBytes` random bytes from the system's generator, as
    /// unpadded base64url (safe in a cookie, a form field and a URL).
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<ConsoleSessionPolicy.tokenBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The SHA-256 of a session token: what the store keeps.
    public static func hash(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }

    /// Whether a form's anti-forgery token is the session's, compared in constant time; a
    /// missing or empty token never matches.
    public static func csrfMatches(expected: String, presented: String?) -> Bool {
        guard let presented, !presented.isEmpty, !expected.isEmpty else { return false }
        let (a, b) = (Array(expected.utf8), Array(presented.utf8))
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
