import Foundation

extension AgentSettings {
    /// A settings file that could not be used, with the path and what was wrong.
    public struct LoadError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Reads and validates `settings.json`; relative credential paths are taken from the
    /// file's folder.
    public static func load(path: String) throws -> AgentSettings {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(path: path, reason: "cannot read the file")
        }
        var settings: AgentSettings
        do {
            settings = try JSONDecoder().decode(AgentSettings.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw LoadError(path: path, reason: "missing key \(Self.jsonPath(context.codingPath + [key]))")
        } catch let DecodingError.typeMismatch(type, context) {
            throw LoadError(path: path, reason: "\(Self.jsonPath(context.codingPath)) must be \(type)")
        } catch let DecodingError.valueNotFound(type, context) {
            throw LoadError(path: path, reason: "\(Self.jsonPath(context.codingPath)) must be \(type), found null")
        } catch let DecodingError.dataCorrupted(context) {
            throw LoadError(path: path, reason: "not valid JSON at \(Self.jsonPath(context.codingPath)): \(context.debugDescription)")
        }
        let folder = (path as NSString).deletingLastPathComponent
        func resolve(_ file: String) -> String {
            file.hasPrefix("/") || folder.isEmpty ? file : (folder as NSString).appendingPathComponent(file)
        }
        settings.tunnel.cert = resolve(settings.tunnel.cert)
        settings.tunnel.key = resolve(settings.tunnel.key)
        settings.tunnel.ca = resolve(settings.tunnel.ca)
        // "on_demand" (dial when told to over MQTT) arrives with the MQTT uplink.
        guard settings.tunnel.mode == "always" else {
            throw LoadError(path: path, reason: "$.tunnel.mode is \"\(settings.tunnel.mode)\"; this build supports \"always\"")
        }
        guard settings.serial.speed > 0 else {
            throw LoadError(path: path, reason: "$.serial.speed must be a positive number of bits per second")
        }
        return settings
    }

    private static func jsonPath(_ keys: [any CodingKey]) -> String {
        "$" + keys.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
    }
}
