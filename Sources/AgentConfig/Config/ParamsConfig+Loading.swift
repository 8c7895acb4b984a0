import Foundation

extension ParamsConfig {
    /// A params_config.json that could not be used, with the path and every problem.
    public struct LoadError: Error, CustomStringConvertible {
        /// The file.
        public let path: String
        /// Every problem.
        public let problems: [ConfigReport.Problem]

        public var description: String { "\(path): " + problems.map(\.description).joined(separator: "; ") }
    }

    /// Reads and checks `params_config.json`. Throws a `LoadError` naming every problem;
    /// notices are in `check(path:)`.
    public static func load(path: String) throws -> ParamsConfig {
        let check = check(path: path)
        guard let config = check.model else { throw LoadError(path: path, problems: check.report.problems) }
        return config
    }

    /// Checks the file at `path`: the configuration when it is usable, and every problem and notice.
    public static func check(path: String) -> ConfigCheck<ParamsConfig> {
        let issues = ConfigIssues()
        let config = ConfigDocument.read(path: path, issues: issues).flatMap { read($0, issues: issues) }
        return ConfigCheck(model: config, report: issues.report)
    }

    /// Checks a configuration given as JSON text (for example a shared-attribute update).
    public static func check(json: some Collection<UInt8>) -> ConfigCheck<ParamsConfig> {
        let issues = ConfigIssues()
        let config = ConfigDocument.parse(Array(json), issues: issues).flatMap { read($0, issues: issues) }
        return ConfigCheck(model: config, report: issues.report)
    }

    /// The params_config.json shipped with the agent, in this module's resource bundle. The
    /// bundle sits beside the program in the build folder (SwiftPM's accessor stops the program
    /// when it is missing); an installed agent reads the copy from deploy/agent instead.
    public static var shippedDefaultURL: URL? {
        Bundle.module.url(forResource: "params_config", withExtension: "json")
    }
}
