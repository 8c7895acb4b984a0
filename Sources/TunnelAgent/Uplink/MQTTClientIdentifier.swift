import Foundation

/// The MQTT client identifier of a gateway whose settings name none: `tunnel-agent-<host
/// name>-<8 hex digits>`, made once with a random suffix and kept in the state folder, so it
/// stays the same across restarts and differs between gateways that share a host name (a
/// fleet built from one image). A broker closes the older of two connections with one
/// identifier, so two gateways with the same identifier would take turns being cut off.
enum MQTTClientIdentifier {
    /// Longest identifier read back from the file; anything longer is not one the agent wrote.
    static let maxStoredLength = 256

    /// `configured` when not empty; otherwise the identifier stored at `path`, made and stored
    /// (durably, before it is used) when there is none.
    static func resolve(configured: String, hostName: String, path: String, random: () -> UInt32 = { UInt32.random(in: .min ... .max) })
        throws -> String
    {
        if !configured.isEmpty { return configured }
        if let stored = try stored(at: path) { return stored }
        let made = "tunnel-agent-\(hostName)-" + String(format: "%08x", random())
        try DurableFile.write(Array((made + "\n").utf8), to: path, mode: 0o644)
        return made
    }

    /// The identifier in the file at `path`; nil when there is no file. Throws for a file that
    /// does not hold one, naming it.
    static func stored(at path: String) throws -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.utf8.count <= maxStoredLength, !text.contains(where: { $0.isNewline || $0 == "\0" }) else {
            throw StoredIdentifierError(path: path)
        }
        return text
    }

    struct StoredIdentifierError: Error, CustomStringConvertible {
        let path: String
        var description: String {
            "\(path) does not hold an MQTT client identifier (one line of at most \(MQTTClientIdentifier.maxStoredLength) bytes); remove it to make a new one"
        }
    }
}
