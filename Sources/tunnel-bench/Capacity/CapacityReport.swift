import Foundation

/// The capacity part of `BENCHMARKS.md`: idle agents per relay, memory per agent, handshake
/// rate, and how memory and round trip change as agents grow.
struct CapacityReport {
    let result: CapacityBench.Result

    /// Relay memory above the baseline per connected agent, in KiB.
    private func perAgentKiB(_ step: CapacityBench.Step) -> Double {
        Double(step.relayKiB - result.baselineKiB) / Double(max(step.agents, 1))
    }

    /// Relay memory added in `step` per agent added in it, in KiB: the cost of the next agent.
    private func marginalKiB(_ step: CapacityBench.Step) -> Double {
        guard let index = result.steps.firstIndex(where: { $0.agents == step.agents }) else { return 0 }
        let before =
            index == 0
            ? (kib: result.baselineKiB, agents: 0) : (kib: result.steps[index - 1].relayKiB, agents: result.steps[index - 1].agents)
        return Double(step.relayKiB - before.kib) / Double(max(step.agents - before.agents, 1))
    }

    /// The step with the most agents made in one go: the fairest handshake rate.
    private var largestBatch: CapacityBench.Step? { result.steps.max { $0.added < $1.added } }

    var headlineRows: [String] {
        guard let last = result.steps.last, let first = result.steps.first else {
            return ["| Idle agents | none connected | | | 10,000 | MISS (\(result.stoppedBy ?? "no step ran")) |"]
        }
        var rows = [
            "| Idle agents held by one relay | \(last.agents) | | | 50,000, or the limit named | "
                + verdict(
                    last.agents >= 50_000,
                    miss: "\(50_000 - last.agents) short: \(result.stoppedBy == nil ? "steps ended" : "stopped by the limit below")")
                + " |",
            "| Relay RSS per idle agent at \(last.agents) | \(fixed(perAgentKiB(last), 1)) KiB | | | < 50 KiB | "
                + verdict(perAgentKiB(last) < 50, miss: "\(fixed(perAgentKiB(last) - 50, 1)) KiB over") + " |",
        ]
        if let batch = largestBatch {
            rows.append(
                "| mTLS agent handshakes per second (\(batch.added) agents) | \(fixed(batch.handshakesPerSecond, 0)) /s | | | ≥ 1,000 /s | "
                    + verdict(
                        batch.handshakesPerSecond >= 1_000, miss: "\(fixed((1 - batch.handshakesPerSecond / 1_000) * 100, 0)) % short")
                    + " |")
        }
        if result.steps.count > 1 {
            let rttGrowth = Double(last.roundTrip.p50) / Double(first.roundTrip.p50)
            rows.append(
                "| RTT p50, \(first.agents) → \(last.agents) agents | \(us(Double(first.roundTrip.p50))) → "
                    + "\(us(Double(last.roundTrip.p50))) µs | | \(fixed(rttGrowth))× | within ±20 % | "
                    + verdict(abs(rttGrowth - 1) <= 0.2, miss: "\(fixed((rttGrowth - 1) * 100, 0)) %") + " |")
            // Per-agent memory from 10 agents is a few pages of noise; compare from 1,000 up.
            if let from = result.steps.first(where: { $0.agents >= 1_000 }), from.agents < last.agents {
                let memoryGrowth = perAgentKiB(last) / perAgentKiB(from)
                rows.append(
                    "| RSS per agent, \(from.agents) → \(last.agents) agents | \(fixed(perAgentKiB(from), 1)) → "
                        + "\(fixed(perAgentKiB(last), 1)) KiB | | \(fixed(memoryGrowth))× | within ±20 % | "
                        + verdict(abs(memoryGrowth - 1) <= 0.2, miss: "\(fixed((memoryGrowth - 1) * 100, 0)) %") + " |")
            }
        }
        return rows
    }

    var section: [String] {
        var lines = [
            "", "## Capacity and cost growth: idle agents on one relay", "",
            "`tunnel-relay serve` runs as its own process, started afresh for this part; its VmRSS is read from /proc/<pid>/status. Each idle agent is a "
                + "real mutual-TLS control connection with its own registered device and certificate from the relay's device CA "
                + "(P-256), saying HELLO and then only answering keepalive pings, from 127.1.x.y source addresses "
                + "(\(IdleAgentFleet.agentsPerSource) per address: the relay admits 1,024 per address). The load generator "
                + "runs on the same machine and spends about as much CPU per handshake as the relay.",
            "",
            "A fresh relay process, with one real agent whose sessions give the round trip; its RSS before any idle agent: \(fixed(Double(result.baselineKiB) / 1024, 1)) MiB. "
                + "Registering the devices (certificate issue and store insert) took \(fixed(result.registrationSeconds, 1)) s, not counted.",
            "",
            "| Idle agents | Relay RSS MiB | KiB per agent | KiB per agent added in step | Connected in step | Handshakes/s | Relay CPU ms/handshake | "
                + "Generator CPU ms/handshake | RTT p50 µs | RTT p99 µs | Load avg |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for step in result.steps {
            lines.append(
                "| \(step.agents) | \(fixed(Double(step.relayKiB) / 1024, 1)) | \(fixed(perAgentKiB(step), 1)) | \(fixed(marginalKiB(step), 1)) | \(step.added) | "
                    + "\(fixed(step.handshakesPerSecond, 0)) | \(fixed(step.relayCPUPerHandshake.seconds * 1_000)) | "
                    + "\(fixed(step.generatorCPUPerHandshake.seconds * 1_000)) | \(us(Double(step.roundTrip.p50))) | \(us(Double(step.roundTrip.p99))) | \(step.load) |"
            )
        }
        if let batch = largestBatch, batch.relayCPUPerHandshake > .zero {
            let perCore = 1 / batch.relayCPUPerHandshake.seconds
            lines += [
                "",
                "The relay spent \(fixed(batch.relayCPUPerHandshake.seconds * 1_000)) ms of CPU per agent connection in the "
                    + "\(batch.added)-agent step: \(fixed(perCore, 0)) handshakes per second per core it has to itself, "
                    + "\(fixed(perCore * Double(ProcessInfo.processInfo.activeProcessorCount), 0)) on this machine's "
                    + "\(ProcessInfo.processInfo.activeProcessorCount) cores if the load generator ran elsewhere.",
            ]
        }
        if let stoppedBy = result.stoppedBy { lines += ["", "What stopped it: \(stoppedBy)"] }
        return lines
    }
}
