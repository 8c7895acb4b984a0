/// The current the load or the charger asks of the pack over time; positive is charging.
/// What actually flows is decided by the BMS (protections, charging stages, power reduction).
public enum CurrentProfile: Hashable, Sendable, CustomStringConvertible {
    /// The same current all the time.
    case constant(Double)
    /// Steps run one after the other and repeated from the first when the last ends.
    case steps([Step])

    /// One step of a profile.
    public struct Step: Hashable, Sendable {
        /// How long the step lasts, seconds (more than 0).
        public let seconds: Double
        /// The current asked for during the step, amperes; positive is charging.
        public let amperes: Double

        public init(seconds: Double, amperes: Double) {
            self.seconds = seconds
            self.amperes = amperes
        }
    }

    /// The current asked for `time` seconds after the profile started.
    public func current(at time: Double) -> Double {
        switch self {
        case .constant(let amperes):
            return amperes
        case .steps(let steps):
            let cycle = steps.reduce(0) { $0 + $1.seconds }
            guard cycle > 0 else { return 0 }
            var offset = time.truncatingRemainder(dividingBy: cycle)
            for step in steps {
                if offset < step.seconds { return step.amperes }
                offset -= step.seconds
            }
            return steps.last?.amperes ?? 0
        }
    }

    /// Reads `SECONDS:AMPERES[,SECONDS:AMPERES...]`, for example `600:-40,300:0,1800:25`;
    /// nil when the text is not of that form or a duration is not positive.
    public static func parse(_ text: String) -> CurrentProfile? {
        var steps: [Step] = []
        for part in text.split(separator: ",") {
            let pair = part.split(separator: ":")
            guard pair.count == 2, let seconds = Double(pair[0]), let amperes = Double(pair[1]), seconds > 0,
                amperes.isFinite
            else { return nil }
            steps.append(Step(seconds: seconds, amperes: amperes))
        }
        return steps.isEmpty ? nil : .steps(steps)
    }

    public var description: String {
        switch self {
        case .constant(let amperes): "\(amperes) A"
        case .steps(let steps): steps.map { "\($0.seconds):\($0.amperes)" }.joined(separator: ",")
        }
    }
}
