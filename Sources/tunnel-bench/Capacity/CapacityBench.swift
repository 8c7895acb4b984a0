import Foundation

/// Idle agents held by one relay process, in steps: at each step the fleet grows to the step's
/// size, the relay settles, its resident memory is read and a session's round trip through
/// the one real agent is measured, so memory and latency can be followed as agents grow.
struct CapacityBench: Sendable {
    /// One step's figures.
    struct Step: Sendable {
        let agents: Int
        let relayKiB: Int
        /// Connections made in this step and the rate they were made at (TLS handshake,
        /// `HELLO`, device lookup, presence written: `WELCOME` received).
        let added: Int
        let handshakesPerSecond: Double
        /// CPU time per connection made in this step: the relay's, and the load generator's
        /// (this process, which also runs the benchmark's own agents and client).
        let relayCPUPerHandshake: Duration
        let generatorCPUPerHandshake: Duration
        let roundTrip: LatencySummary
        let load: String
    }

    /// What the run reached: the steps, the relay's memory with no idle agent, and the failure
    /// that ended it early, if one did.
    struct Result: Sendable {
        let baselineKiB: Int
        let steps: [Step]
        let stoppedBy: String?
        let registrationSeconds: Double
    }

    let steps: [Int]
    let concurrency: Int
    let settleTime: Duration
    let roundTrips: BenchSettings

    func run(relay: RelayProcess, tunnel: OurTunnelPath, fleetThreads: Int, progress: (String) -> Void) async throws -> Result {
        let fleet = IdleAgentFleet(relay: relay, threads: fleetThreads)
        var stoppedBy: String?
        let ceiling = DescriptorCeiling.measure(relay: relay.process.pid)
        var sizes = steps.sorted()
        if let wanted = sizes.last, wanted > ceiling.agents {
            // Step on to the most the open-file limits allow, and say which limit that is.
            sizes = sizes.filter { $0 < ceiling.agents } + [ceiling.agents]
            stoppedBy = ceiling.reason(wanted: wanted)
        }
        let registrationStart = ContinuousClock.now
        progress("capacity: registering \(sizes.last ?? 0) devices with their own certificates")
        try await fleet.register(upTo: sizes.last ?? 0)
        let registration = (ContinuousClock.now - registrationStart).seconds
        try await Task.sleep(for: settleTime)
        let baseline = relay.residentKiB()
        var results: [Step] = []
        for size in sizes {
            progress("capacity: connecting idle agents up to \(size)")
            let added: Int
            let elapsed: Duration
            let relayCPU = ProcessCPU.seconds(pid: relay.process.pid)
            let generatorCPU = ProcessCPU.seconds(pid: getpid())
            do {
                (added, elapsed) = try await fleet.connect(upTo: size, concurrency: concurrency)
            } catch {
                stoppedBy = "\(error) (after \(fleet.connected) agents)"
                break
            }
            let relayCPUUsed = ProcessCPU.seconds(pid: relay.process.pid) - relayCPU
            let generatorCPUUsed = ProcessCPU.seconds(pid: getpid()) - generatorCPU
            try await Task.sleep(for: settleTime)
            let rtt = try await PeerMeasurements(settings: roundTrips).roundTrips(tunnel)
            results.append(
                Step(
                    agents: fleet.connected, relayKiB: relay.residentKiB(), added: added,
                    handshakesPerSecond: Double(added) / elapsed.seconds,
                    relayCPUPerHandshake: .seconds(relayCPUUsed / Double(max(added, 1))),
                    generatorCPUPerHandshake: .seconds(generatorCPUUsed / Double(max(added, 1))), roundTrip: rtt,
                    load: MachineFacts.loadAverage()))
        }
        await fleet.stop()
        return Result(baselineKiB: baseline, steps: results, stoppedBy: stoppedBy, registrationSeconds: registration)
    }
}
