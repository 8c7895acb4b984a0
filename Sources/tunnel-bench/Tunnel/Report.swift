import Foundation

/// The benchmark's printed result: machine facts, latency per path, what the tunnel adds,
/// bulk throughput each way, and the targets with PASS or MISS. Medians are medians of the
/// per-run values.
struct Report {
    /// Targets from the design, for context: what the tunnel adds to a round trip over
    /// direct loopback TCP at p50, and the bulk rate of one session each way.
    static let addedLatencyTargetMicroseconds = 250.0
    static let throughputTargetMegabytesPerSecond = 100.0

    let settings: BenchSettings
    let machine: MachineFacts
    let loadAfter: String
    let runs: [RunResult]

    var text: String {
        var lines: [String] = []
        lines += header
        lines += [""] + latencyTable
        lines += [""] + addedTable
        lines += [""] + throughputTable
        lines += [""] + targets
        return lines.joined(separator: "\n")
    }

    private var header: [String] {
        var lines = [
            "tunnel-bench: \(settings.payloadSize)-byte request, \(settings.payloadSize)-byte answer, one outstanding at a time",
            "  \(settings.roundTrips) measured round trips after \(settings.warmup) warm-up per path and run; "
                + "\(settings.bulkBytes >> 20) MiB each way in \(settings.chunkSize >> 10) KiB writes; "
                + "\(settings.runs) run\(settings.runs == 1 ? "" : "s"); relay threads \(settings.relayThreads)",
        ]
        #if DEBUG
            lines.append("  WARNING: debug build; numbers are not representative (use scripts/bench)")
        #endif
        lines += [
            "",
            "Machine",
            "  nproc          \(machine.usableCPUs) (\(machine.onlineCPUs) online)",
            "  CPU            \(machine.cpuModel)",
            "  memory         \(machine.memoryTotal) total, \(machine.memoryAvailable) available (/proc/meminfo)",
            "  kernel         \(machine.kernel)",
            "  load average   \(machine.loadBefore) before, \(loadAfter) after",
        ]
        return lines
    }

    private var latencyTable: [String] {
        var lines = [
            "Round-trip latency, µs",
            row(["path", "run", "p50", "p90", "p99", "p99.9", "max"], widths: Self.latencyWidths),
        ]
        let paths: [(String, (RunResult) -> LatencySummary)] = [
            ("direct TCP (loopback)", \.tcp),
            ("direct PTY (slave ↔ master)", \.pty),
            ("tunnel (client→relay→agent→PTY)", \.tunnel),
        ]
        for (name, pick) in paths {
            let summaries = runs.map(pick)
            for (index, summary) in summaries.enumerated() {
                let values = [summary.p50, summary.p90, summary.p99, summary.p999, summary.max]
                lines.append(latencyRow(index == 0 ? name : "", "\(index + 1)", values))
            }
            if runs.count > 1 {
                let medians = [\LatencySummary.p50, \.p90, \.p99, \.p999, \.max].map { key in
                    Self.median(summaries.map { Double($0[keyPath: key]) })
                }
                lines.append(row(["", "median"] + medians.map { Self.micro($0) }, widths: Self.latencyWidths))
            }
        }
        return lines
    }

    private static let latencyWidths = [34, 7, 9, 9, 9, 9, 9]

    private func latencyRow(_ path: String, _ run: String, _ values: [UInt64]) -> String {
        row([path, run] + values.map { Self.micro(Double($0)) }, widths: Self.latencyWidths)
    }

    private var addedTable: [String] {
        let widths = [8, 16, 16, 12]
        var lines = [
            "Added by the tunnel at p50, µs (tunnel p50 − baseline p50)",
            row(["run", "vs direct TCP", "vs direct PTY", "tunnel/TCP"], widths: widths),
        ]
        for (index, run) in runs.enumerated() {
            lines.append(
                row(
                    [
                        "\(index + 1)", Self.signedMicro(Double(run.addedOverTCP)), Self.signedMicro(Double(run.addedOverPTY)),
                        String(format: "%.2f×", Double(run.tunnel.p50) / Double(run.tcp.p50)),
                    ], widths: widths))
        }
        if runs.count > 1 {
            lines.append(
                row(
                    [
                        "median", Self.signedMicro(medianAddedOverTCP), Self.signedMicro(Self.median(runs.map { Double($0.addedOverPTY) })),
                        String(format: "%.2f×", Self.median(runs.map { Double($0.tunnel.p50) / Double($0.tcp.p50) })),
                    ], widths: widths))
        }
        return lines
    }

    private var throughputTable: [String] {
        let runColumns = runs.indices.map { "run \($0 + 1)" } + (runs.count > 1 ? ["median"] : [])
        let widths = [12, 16] + runColumns.map { _ in 10 }
        var lines = [
            "Bulk throughput of one session, MB/s (10^6 bytes/s), first byte sent to last byte received",
            row(["path", "direction"] + runColumns, widths: widths, leading: 2),
        ]
        let transfers: [(String, String, (RunResult) -> Throughput)] = [
            ("tunnel", "client → device", \.tunnelUp),
            ("tunnel", "device → client", \.tunnelDown),
            ("direct PTY", "client → device", \.ptyUp),
            ("direct PTY", "device → client", \.ptyDown),
        ]
        for (path, direction, pick) in transfers {
            let rates = runs.map { pick($0).megabytesPerSecond }
            let cells = (rates + (runs.count > 1 ? [Self.median(rates)] : [])).map { String(format: "%.1f", $0) }
            lines.append(row([path, direction] + cells, widths: widths, leading: 2))
        }
        return lines
    }

    private var targets: [String] {
        let added = medianAddedOverTCP / 1_000
        let up = Self.median(runs.map { $0.tunnelUp.megabytesPerSecond })
        let down = Self.median(runs.map { $0.tunnelDown.megabytesPerSecond })
        let addedTarget = Self.addedLatencyTargetMicroseconds
        let rateTarget = Self.throughputTargetMegabytesPerSecond
        let widths = [46, 14, 6]
        return [
            "Targets (for context; \(runs.count > 1 ? "medians of \(runs.count) runs" : "one run"))",
            row(
                [
                    String(format: "tunnel p50 added (vs direct TCP) < %.0f µs", addedTarget),
                    String(format: "%.1f µs", added), Self.verdict(added < addedTarget),
                ], widths: widths),
            row(
                [
                    String(format: "tunnel throughput client → device > %.0f MB/s", rateTarget),
                    String(format: "%.1f MB/s", up), Self.verdict(up > rateTarget),
                ], widths: widths),
            row(
                [
                    String(format: "tunnel throughput device → client > %.0f MB/s", rateTarget),
                    String(format: "%.1f MB/s", down), Self.verdict(down > rateTarget),
                ], widths: widths),
        ]
    }

    private var medianAddedOverTCP: Double { Self.median(runs.map { Double($0.addedOverTCP) }) }

    /// Left-aligns the first `leading` cells (names) and right-aligns the rest (numbers),
    /// each in its column's width.
    private func row(_ cells: [String], widths: [Int], leading: Int = 1) -> String {
        var line = "  "
        for (index, cell) in cells.enumerated() {
            let width = index < widths.count ? widths[index] : cell.count
            let padding = String(repeating: " ", count: max(0, width - cell.count))
            line += index < leading ? cell + padding : padding + cell
        }
        return line
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Nanoseconds as microseconds with one decimal.
    private static func micro(_ nanoseconds: Double) -> String { String(format: "%.1f", nanoseconds / 1_000) }
    private static func signedMicro(_ nanoseconds: Double) -> String { String(format: "%+.1f", nanoseconds / 1_000) }
    private static func verdict(_ met: Bool) -> String { met ? "PASS" : "MISS" }
}
