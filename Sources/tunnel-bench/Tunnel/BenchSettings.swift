import NIOCore

/// What one benchmark invocation measures, and how much of it.
struct BenchSettings: Sendable {
    /// Bytes in each request and in each answer of a round trip.
    let payloadSize: Int
    /// Measured round trips per path and run.
    let roundTrips: Int
    /// Round trips made and not recorded before the measured ones, per path and run.
    let warmup: Int
    /// Bytes moved in each direction by the throughput measurement.
    let bulkBytes: Int
    /// Bytes per bulk write: one `serialData` frame on the client side, one write on the PTY.
    let chunkSize: Int
    /// How often the whole set is measured; the report gives each run and the median.
    let runs: Int
    /// Event loop threads of the in-process relay.
    let relayThreads: Int
    /// Longest any one phase may take before the benchmark reports it as hung.
    let phaseTimeout: TimeAmount

    init(
        payloadSize: Int = 16, roundTrips: Int = 10_000, warmup: Int = 1_000, bulkBytes: Int = 64 << 20,
        chunkSize: Int = 16 << 10, runs: Int = 3, relayThreads: Int = 1, phaseTimeout: TimeAmount = .seconds(120)
    ) {
        self.payloadSize = payloadSize
        self.roundTrips = roundTrips
        self.warmup = warmup
        self.bulkBytes = bulkBytes
        self.chunkSize = chunkSize
        self.runs = runs
        self.relayThreads = relayThreads
        self.phaseTimeout = phaseTimeout
    }
}
