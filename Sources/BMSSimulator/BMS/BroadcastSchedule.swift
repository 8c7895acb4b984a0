/// When each periodic sentence is due, for one connection. Sentences with the same period
/// are spread evenly over it rather than sent in one burst, so an answer never waits behind
/// a wall of broadcasts.
///
/// Times are seconds since the connection started, given by the caller.
public struct BroadcastSchedule: Sendable {
    /// Seconds between broadcasts of each sentence; sentences not listed are not broadcast.
    public let periods: [String: Double]
    /// When each sentence is next due.
    private var due: [String: Double]

    /// A schedule for `periods` (non-positive periods are left out) that starts at time 0.
    public init(periods: [String: Double]) {
        let active = periods.filter { $0.value > 0 }
        self.periods = active
        var due: [String: Double] = [:]
        let order =
            SimulatedBMS.broadcastNames.filter { active[$0] != nil }
            + active.keys.filter { !SimulatedBMS.broadcastNames.contains($0) }.sorted()
        for (index, name) in order.enumerated() {
            let period = active[name]!
            due[name] = period * Double(index + 1) / Double(order.count)
        }
        self.due = due
    }

    /// The sentences due at `time`, in broadcast order; each is scheduled again one period on.
    public mutating func take(at time: Double) -> [String] {
        let ready = due.filter { $0.value <= time }.keys
        let ordered =
            SimulatedBMS.broadcastNames.filter { ready.contains($0) } + ready.filter { !SimulatedBMS.broadcastNames.contains($0) }.sorted()
        for name in ordered {
            let period = periods[name]!
            var next = due[name]! + period
            if next <= time { next = time + period }  // fell behind: skip, do not burst
            due[name] = next
        }
        return ordered
    }

    /// When the next sentence is due; nil when nothing is broadcast.
    public var nextDue: Double? { due.values.min() }
}
