import Foundation

/// Takes the secrets out of the agent's JSON files before they leave the gateway in a
/// diagnostic bundle: every string under a key that names a secret becomes "***", and the
/// values taken out are kept, so that every other text of the bundle (a check's report, log
/// lines) can be scrubbed of them too.
struct SecretRedaction {
    static let mask = "***"

    /// The values removed so far; `scrub` removes them from any text.
    private(set) var secrets: Set<String> = []

    /// Key names whose string values are secrets: passwords, the admin page's passkey, tokens,
    /// provisioning keys and secrets, private keys (and the paths to them, which name them).
    static func isSecret(key: String) -> Bool {
        let name = key.lowercased()
        if name == "sequence_key" { return false }  // the telemetry key that numbers records
        return ["password", "passkey", "pass_key", "secret", "token", "key", "credential"].contains { name.contains($0) }
    }

    /// `data` (JSON) with its secrets masked, pretty-printed; nil when it is not JSON.
    mutating func redact(json data: Data) -> Data? {
        guard let document = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return nil }
        let redacted = redact(document, key: nil)
        return try? JSONSerialization.data(
            withJSONObject: redacted, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
    }

    private mutating func redact(_ value: Any, key: String?) -> Any {
        switch value {
        case let object as [String: Any]:
            return object.reduce(into: [String: Any]()) { result, member in result[member.key] = redact(member.value, key: member.key) }
        case let array as [Any]:
            return array.map { redact($0, key: key) }
        case let text as String where key.map(Self.isSecret) == true && !text.isEmpty:
            secrets.insert(text)
            return Self.mask
        default:
            return value
        }
    }

    /// `text` with every secret taken out so far replaced by the mask.
    func scrub(_ text: String) -> String {
        // Longest first, so that a secret containing another is masked whole.
        secrets.sorted { $0.count > $1.count }.reduce(text) { $0.replacingOccurrences(of: $1, with: Self.mask) }
    }
}
