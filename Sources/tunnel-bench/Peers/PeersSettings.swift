/// What one `tunnel-bench peers` invocation measures, and how much of it.
struct PeersSettings: Sendable {
    /// Round trips per path and run, warm-up, bulk sizes and timeouts (16-byte payloads).
    let bench: BenchSettings
    /// Concurrent sessions in the many-sessions throughput and the session-count growth.
    let sessions: Int
    /// Bytes each of the concurrent sessions moves each way.
    let bytesPerConcurrentSession: Int
    /// Session setups measured per path.
    let setups: Int
    /// Idle-agent counts the capacity measurement steps through (empty: no capacity run).
    let agentSteps: [Int]
    /// TLS handshakes in flight at once while idle agents connect.
    let handshakeConcurrency: Int
    /// Event loop threads of the idle-agent load generator.
    let generatorThreads: Int
    /// Round trips measured at each capacity and session-count step.
    let growthRoundTrips: Int
    /// Event loop threads of `tunnel-relay serve` (0: one per core).
    let relayThreads: Int
    /// Where `tunnel-relay` is.
    let relayBinary: String
    /// pyserial round trips per path and run of the RFC 2217 comparison (0: left out), and its script.
    var rfc2217RoundTrips = 0
    var rfc2217Script = "scripts/bench_rfc2217.py"
}
