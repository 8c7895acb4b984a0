/// Which executable the launcher starts, from the slot `current` points at and the trial in
/// progress. Pure: the caller reads the files and the clock, and carries out the decision.
enum FirmwareBoot {
    /// Starts of a new version that may end before it reports UPDATED.
    static let maxLaunches = 3

    enum Decision: Equatable {
        /// The executable the package installed, in this process.
        case packaged
        /// The image in slot `name`, as a child process; `trial` counts this start.
        case slot(name: String, trial: FirmwareTrial?)
        /// The new version failed its trial: put `trial.previous` back, report `reason`, decide again.
        case rollBack(FirmwareTrial, reason: String)
        /// A trial for a slot that never became current (cut off between the two writes): drop it.
        case dropTrial
    }

    static func decide(current: String?, trial: FirmwareTrial?, now: Double) -> Decision {
        if let trial {
            guard trial.slot == current else { return .dropTrial }
            if now > trial.deadline {
                return .rollBack(trial, reason: "version \(trial.target.version) did not report UPDATED before its trial ended")
            }
            if trial.launches >= maxLaunches {
                return .rollBack(
                    trial, reason: "version \(trial.target.version) stopped \(trial.launches) times before it reported UPDATED")
            }
            var counted = trial
            counted.launches += 1
            return .slot(name: trial.slot, trial: counted)
        }
        guard let current else { return .packaged }
        return .slot(name: current, trial: nil)
    }
}
