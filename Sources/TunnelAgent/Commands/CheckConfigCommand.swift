import ArgumentParser

/// `tunnel-agent check-config`: checks settings.json and params_config.json and prints every
/// problem and notice; exits 0 only when both files are usable.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check settings.json and params_config.json without starting the agent.",
        discussion: """
            Prints every problem (JSON path, what was found, what is expected) and every notice \
            (keys of the vendor's hardware that do not apply on a gateway, unknown keys). Exit \
            status 0 when both files are usable, 1 otherwise. See docs/CONFIGURATION.md.
            """)

    @Option(help: "Path of settings.json.")
    var settings: String = "/etc/tunnel-agent/settings.json"

    @Option(help: "Path of params_config.json.")
    var params: String = "/etc/tunnel-agent/params_config.json"

    func run() throws {
        let outcome = Self.check(settings: settings, params: params)
        print(outcome.text, terminator: "")
        if !outcome.valid { throw ExitCode.failure }
    }

    /// The printed report of both files, and whether both are usable.
    static func check(settings: String, params: String) -> (text: String, valid: Bool) {
        let settingsReport = AgentSettings.check(path: settings).report
        let paramsReport = ParamsConfig.check(path: params).report
        let text = describe("settings.json", settings, settingsReport) + describe("params_config.json", params, paramsReport)
        return (text, settingsReport.isValid && paramsReport.isValid)
    }

    /// A file's verdict line, then one line per problem and per notice.
    static func describe(_ kind: String, _ path: String, _ report: ConfigReport) -> String {
        let verdict = report.isValid ? "valid" : count(report.problems.count, "problem")
        var lines = ["\(kind) \(path): \(verdict), \(count(report.notices.count, "notice"))"]
        lines += report.problems.map { "  problem: \($0)" }
        lines += report.notices.map { "  notice: \($0)" }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }
}
