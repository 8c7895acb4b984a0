/// Collects the problems and notices of one configuration check while its file is read.
final class ConfigIssues {
    private(set) var problems: [ConfigReport.Problem] = []
    private(set) var notices: [ConfigReport.Notice] = []

    /// Records a problem: the value at `path` is `found` where `expected` is needed.
    func problem(at path: JSONPath, found: String, expected: String) {
        problems.append(.init(path: path.description, found: found, expected: expected))
    }

    /// Records a notice about the key at `path`.
    func notice(at path: JSONPath, _ kind: ConfigReport.Notice.Kind, _ detail: String) {
        notices.append(.init(path: path.description, kind: kind, detail: detail))
    }

    /// Everything recorded so far.
    var report: ConfigReport { ConfigReport(problems: problems, notices: notices) }
}
