import AgentConfig
import Crypto
import Foundation

/// The configuration in effect: the files the portal sent when there are any, else the
/// operator's, else (for params_config.json) the one shipped with the agent. A settings.json
/// from the portal is read as the operator's is (relative paths from the operator's folder)
/// and is in effect only as `PortalSettingsRule` allows: with the operator's `tunnel` and
/// `portal` sections, never weakening the broker's TLS.
public struct AgentConfiguration: Sendable {
    public let settings: AgentSettings
    public let params: ParamsConfig
    /// The operator's own settings.json, whatever the portal sent.
    public let localSettings: AgentSettings
    /// Where each came from.
    public let settingsPath: String
    public let paramsPath: String
    /// The files' bytes, for `config.get` and the configuration hash.
    public let settingsText: [UInt8]
    public let paramsText: [UInt8]
    /// Why a stored portal settings.json was passed over for the operator's, when it was.
    public let passedOver: String?

    /// Reads both files; throws the load error naming every problem.
    public static func load(_ paths: AgentPaths) throws -> AgentConfiguration {
        let fileManager = FileManager.default
        let local = try AgentSettings.load(path: paths.settings)
        var settings = local
        var settingsPath = paths.settings
        var passedOver: String?
        if let stored = fileManager.contents(atPath: paths.portalSettings) {
            switch portalSettings(Array(stored), local: local, folder: paths.settingsFolder) {
            case .success(let effective):
                settings = effective
                settingsPath = paths.portalSettings
            case .failure(let problems):
                passedOver = problems.joined(separator: "; ")
            }
        }
        return AgentConfiguration(
            settings: settings, params: try ParamsConfig.load(path: paramsPath(paths)), localSettings: local,
            settingsPath: settingsPath, paramsPath: paramsPath(paths),
            settingsText: Array(fileManager.contents(atPath: settingsPath) ?? Data()),
            paramsText: Array(fileManager.contents(atPath: paramsPath(paths)) ?? Data()), passedOver: passedOver)
    }

    /// The params_config.json in effect: the portal's, else the operator's, else the shipped one.
    static func paramsPath(_ paths: AgentPaths) -> String {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: paths.portalParams) { return paths.portalParams }
        if !fileManager.fileExists(atPath: paths.params), let shipped = ParamsConfig.shippedDefaultURL?.path { return shipped }
        return paths.params
    }

    /// The settings in effect for a settings.json the portal sent (`bytes`) over the operator's
    /// `local`, relative paths taken from `folder`; or every problem, each with its JSON path.
    static func portalSettings(_ bytes: [UInt8], local: AgentSettings, folder: String) -> Result<AgentSettings, Problems> {
        let check = AgentSettings.check(json: bytes)
        guard let pushed = check.model else { return .failure(Problems(check.report.problems.map(\.description))) }
        switch PortalSettingsRule.effective(pushed: pushed.resolvingPaths(against: folder), local: local) {
        case .success(let settings): return .success(settings)
        case .failure(let refusal): return .failure(Problems(refusal.problems.map(\.description)))
        }
    }

    /// Problems of a file, one line each.
    struct Problems: Error {
        let lines: [String]
        init(_ lines: [String]) { self.lines = lines }
        func joined(separator: String) -> String { lines.joined(separator: separator) }
    }

    /// SHA-256 over both files, hex: the portal sees which configuration a device runs.
    public var hash: String { Self.hash(settingsText, paramsText) }

    static func hash(_ settings: [UInt8], _ params: [UInt8]) -> String {
        var hasher = SHA256()
        hasher.update(data: settings)
        hasher.update(data: params)
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// SHA-256 of one file, hex.
    static func hash(of file: [UInt8]) -> String {
        SHA256.hash(data: file).map { String(format: "%02x", $0) }.joined()
    }
}
