import Crypto
import Foundation

/// The secret a gateway presents once to register itself: issued by an administrator for a
/// customer's fleet (any device ID) or for one device ID, until an expiry. It is signed, not
/// stored: `ps1.<customer>.<device or *>.<expiry, Unix seconds>.<HMAC-SHA256, base64url>` under
/// the relay's provisioning key (`<data>/tls/provisioning.key`; relay nodes sharing a store
/// share this file). Rotating the key withdraws every secret issued with it.
public struct ProvisioningSecret: Sendable, Equatable {
    public let customer: String
    /// The one device ID it registers; nil for any ID of the customer's fleet.
    public let deviceID: String?
    public let expiresAt: Date

    public init(customer: String, deviceID: String?, expiresAt: Date) {
        self.customer = customer
        self.deviceID = deviceID
        self.expiresAt = expiresAt
    }

    static let prefix = "ps1"

    /// The secret's text, signed with `key`.
    public func text(key: SymmetricKey) -> String {
        let body = [Self.prefix, customer, deviceID ?? "*", String(Int64(expiresAt.timeIntervalSince1970))].joined(separator: ".")
        return body + "." + Self.base64URL(Data(HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: key)))
    }

    /// Why a presented secret does not let `deviceID` register at `now`.
    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
    }

    /// The secret in `text` when its signature holds under `key`, it covers `deviceID` and it
    /// has not expired. The signature is compared in constant time.
    public static func verify(_ text: String, deviceID: String, key: SymmetricKey, now: Date = Date()) throws -> ProvisioningSecret {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == prefix, let seconds = Int64(parts[3]),
            let signature = base64URLDecoded(String(parts[4]))
        else {
            throw Refusal(description: "the provisioning secret is malformed (expected ps1.<customer>.<device>.<expiry>.<signature>)")
        }
        let body = parts[0..<4].joined(separator: ".")
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: Data(body.utf8), using: key) else {
            throw Refusal(description: "the provisioning secret is not valid for this relay")
        }
        let secret = ProvisioningSecret(
            customer: String(parts[1]), deviceID: parts[2] == "*" ? nil : String(parts[2]),
            expiresAt: Date(timeIntervalSince1970: TimeInterval(seconds)))
        guard secret.expiresAt > now else { throw Refusal(description: "the provisioning secret expired at \(secret.expiresAt)") }
        if let only = secret.deviceID, only != deviceID {
            throw Refusal(description: "the provisioning secret is for device \(only), not \(deviceID)")
        }
        return secret
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func base64URLDecoded(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
