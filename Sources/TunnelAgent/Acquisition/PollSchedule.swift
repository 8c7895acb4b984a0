import AgentConfig

/// When to request which G1 sentence: each packet of `params_config.json` every
/// `request_period` seconds (its own, else the protocol's). Pure: the caller passes the time.
public struct PollSchedule: Sendable {
    /// One requested sentence.
    struct Entry: Sendable {
        let sentence: String
        let period: Double
        var due: Double
    }

    private var entries: [Entry]

    /// The schedule for `protocol`'s packets, every one due at `start`.
    public init(protocol g1: ParamsConfig.G1Protocol?, start: Double) {
        var seen = Set<String>()
        entries = (g1?.packets ?? []).compactMap { packet in
            guard seen.insert(packet.sentence).inserted else { return nil }
            let period = packet.requestPeriod ?? g1?.requestPeriod ?? ParamsConfig.defaultRequestPeriod
            return Entry(sentence: packet.sentence, period: max(period, 0.01), due: start)
        }
    }

    /// Nothing is ever requested.
    public var isEmpty: Bool { entries.isEmpty }

    /// The sentences due at `now`, in file order; each is next due one period later (from now
    /// if the schedule fell behind, so a stall does not cause a burst).
    public mutating func due(at now: Double) -> [String] {
        var names: [String] = []
        for index in entries.indices where entries[index].due <= now {
            names.append(entries[index].sentence)
            let next = entries[index].due + entries[index].period
            entries[index].due = next > now ? next : now + entries[index].period
        }
        return names
    }

    /// When the next sentence falls due.
    public var nextDue: Double? { entries.map(\.due).min() }
}
