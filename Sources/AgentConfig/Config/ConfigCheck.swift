/// The outcome of checking one configuration file: the model when the file is usable, and
/// the report in every case.
public struct ConfigCheck<Model: Sendable & Equatable>: Sendable, Equatable {
    /// The configuration; nil when the report has problems.
    public let model: Model?
    /// Every problem and notice.
    public let report: ConfigReport

    public init(model: Model?, report: ConfigReport) {
        self.model = report.isValid ? model : nil
        self.report = report
    }
}
