import AgentConfig
import Foundation

/// Editing settings.json and params_config.json on the admin page: the file in effect is
/// shown with its secrets masked, and a saved file goes the way a pushed one does
/// (`PortalConfiguration`: checked in full, the portal's rules for settings.json, stored,
/// put on probation and rolled back if the agent stops working with it).
struct AdminPageEditor {
    static let files = [PortalConfiguration.settingsKey, PortalConfiguration.paramsKey]
    /// Largest file taken from the page.
    static let maxFileBytes = 256 << 10

    let configuration: AgentConfiguration
    let portal: PortalConfiguration

    /// The file in effect with every secret shown as the mask.
    func maskedText(of file: String) -> String {
        guard let data = FileManager.default.contents(atPath: path(of: file)) else { return "" }
        var redaction = SecretRedaction()
        guard let masked = redaction.redact(json: data) else { return "" }
        return String(decoding: masked, as: UTF8.self)
    }

    /// A redaction that knows the secrets of both files in effect, to scrub other texts of them.
    func secretsInEffect() -> SecretRedaction {
        var redaction = SecretRedaction()
        for file in Self.files {
            if let data = FileManager.default.contents(atPath: path(of: file)) { _ = redaction.redact(json: data) }
        }
        return redaction
    }

    /// Checks and applies `text` as `file`: the problems found (with their JSON paths), or
    /// what happens now, and the restart to run once the answer is sent.
    func save(_ file: String, text: String) -> (problems: [String], notice: String?, afterwards: (@Sendable () -> Void)?) {
        guard text.utf8.count <= Self.maxFileBytes else { return (["the file is larger than \(Self.maxFileBytes) bytes"], nil, nil) }
        let unmasked: String
        do {
            unmasked = try unmask(text, file: file)
        } catch {
            return (["$: not JSON: \(error.localizedDescription)"], nil, nil)
        }
        let (outcomes, afterwards) = portal.apply(.object([JSONMember(key: file, value: .string(unmasked))]))
        switch outcomes.first?.outcome {
        case .refused(let problems): return (problems, nil, nil)
        case .unchanged: return ([], "No change: this is the file in effect.", nil)
        case .applied, .withdrawn:
            let restart = file == PortalConfiguration.settingsKey ? " The agent restarts its services with it now." : ""
            return ([], "Saved and in effect, on probation." + restart, afterwards)
        case nil: return (["$: nothing to save"], nil, nil)
        }
    }

    private func path(of file: String) -> String {
        file == PortalConfiguration.settingsKey ? configuration.settingsPath : configuration.paramsPath
    }

    /// `text` with each masked secret put back from the file in effect, at the same place.
    /// A text without the mask is taken as it is, byte for byte.
    private func unmask(_ text: String, file: String) throws -> String {
        guard text.contains(SecretRedaction.mask) else { return text }
        let submitted = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        let current = FileManager.default.contents(atPath: path(of: file)).flatMap {
            try? JSONSerialization.jsonObject(with: $0, options: [.fragmentsAllowed])
        }
        let restored = Self.restore(submitted, from: current, key: nil)
        let data = try JSONSerialization.data(withJSONObject: restored, options: [.prettyPrinted, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    private static func restore(_ value: Any, from current: Any?, key: String?) -> Any {
        if let text = value as? String, text == SecretRedaction.mask, let key, SecretRedaction.isSecret(key: key),
            let original = current as? String
        {
            return original
        }
        if let object = value as? [String: Any] {
            let currentObject = current as? [String: Any]
            return object.reduce(into: [String: Any]()) { $0[$1.key] = restore($1.value, from: currentObject?[$1.key], key: $1.key) }
        }
        if let array = value as? [Any] {
            let currentArray = current as? [Any]
            return array.enumerated().map { index, element in
                restore(element, from: currentArray.flatMap { index < $0.count ? $0[index] : nil }, key: key)
            }
        }
        return value
    }
}
