/// Everything one `tunnel-bench peers` run measured, per path name.
struct PeersResults: Sendable {
    /// Paths in the order measured, with the commands that built them.
    var paths: [(name: String, commands: [String])] = []
    /// Peers left out, with the reason.
    var leftOut: [String] = []
    /// Round trips per path, one summary per run.
    var roundTrips: [String: [LatencySummary]] = [:]
    var setups: [String: LatencySummary] = [:]
    /// Throughput per path: (sessions, direction) → rate.
    var throughput: [String: [ThroughputKey: Throughput]] = [:]
    /// Failures of single measurements (the run goes on without them).
    var failures: [String] = []
    /// Our tunnel with k sessions open: relay memory and the round trip of one of them.
    var sessionGrowth: [(sessions: Int, relayKiB: Int, roundTrip: LatencySummary)] = []
    var capacity: CapacityBench.Result?
    /// pyserial through our RFC 2217 port and through ser2net's, and how it was run.
    var rfc2217: RFC2217Comparison.Figures?
    var rfc2217Command: String?
    var ourPathName = ""

    struct ThroughputKey: Hashable, Sendable {
        let sessions: Int
        let direction: PeerMeasurements.Direction
    }
}
