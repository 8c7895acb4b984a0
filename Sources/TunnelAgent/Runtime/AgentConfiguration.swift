import Crypto
import Foundation

/// The configuration in effect: the files the portal sent when there are any, else the
/// operator's, else (for params_config.json) the one shipped with the agent.
public struct AgentConfiguration: Sendable {
    public let settings: AgentSettings
    public let params: ParamsConfig
    /// Where each came from.
    public let settingsPath: String
    public let paramsPath: String
    /// The files' bytes, for `config.get` and the configuration hash.
    public let settingsText: [UInt8]
    public let paramsText: [UInt8]

    /// Reads both files; throws the load error naming every problem.
    public static func load(_ paths: AgentPaths) throws -> AgentConfiguration {
        let fileManager = FileManager.default
        let settingsPath = fileManager.fileExists(atPath: paths.portalSettings) ? paths.portalSettings : paths.settings
        var paramsPath = fileManager.fileExists(atPath: paths.portalParams) ? paths.portalParams : paths.params
        if !fileManager.fileExists(atPath: paramsPath), let shipped = ParamsConfig.shippedDefaultURL?.path { paramsPath = shipped }
        return AgentConfiguration(
            settings: try AgentSettings.load(path: settingsPath), params: try ParamsConfig.load(path: paramsPath),
            settingsPath: settingsPath, paramsPath: paramsPath,
            settingsText: Array(fileManager.contents(atPath: settingsPath) ?? Data()),
            paramsText: Array(fileManager.contents(atPath: paramsPath) ?? Data()))
    }

    /// SHA-256 over both files, hex: the portal sees which configuration a device runs.
    public var hash: String { Self.hash(settingsText, paramsText) }

    static func hash(_ settings: [UInt8], _ params: [UInt8]) -> String {
        var hasher = SHA256()
        hasher.update(data: settings)
        hasher.update(data: params)
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
