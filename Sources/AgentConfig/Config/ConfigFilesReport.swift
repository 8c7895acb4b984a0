/// What `tunnel-agent check-config` prints for settings.json and params_config.json: a verdict
/// line per file, then one line per problem and per notice; and whether both are usable.
public enum ConfigFilesReport {
    /// The printed report of both files, and whether both are usable.
    public static func check(settings: String, params: String) -> (text: String, valid: Bool) {
        let settingsCheck = AgentSettings.check(path: settings)
        // The files the settings name, once the settings themselves are usable.
        let fileProblems = settingsCheck.model?.mqtt?.fileProblems() ?? []
        let settingsReport = ConfigReport(
            problems: settingsCheck.report.problems + fileProblems, notices: settingsCheck.report.notices)
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
