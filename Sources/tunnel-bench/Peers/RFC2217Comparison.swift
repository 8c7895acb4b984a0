import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// pyserial's `rfc2217://` round trip of a G1 request through our `tunnel-connect --rfc2217`
/// (relay, agent and simulated BMS as their own release processes) next to ser2net's RFC 2217
/// port on the same simulated BMS, with its character delay on (its default) and off. The
/// client is pyserial, as a Control Panel user's tools are, so the measurement is
/// `scripts/bench_rfc2217.py`, run here as a child so its runs land in the same report.
struct RFC2217Comparison: Sendable {
    /// One run of one path, in microseconds.
    struct Run: Decodable, Sendable {
        let p50: Double
        let p90: Double
        let p99: Double
        let max: Double
    }

    /// The script's JSON: each path's runs, in the order measured.
    struct Figures: Decodable, Sendable {
        let request: String
        let roundTrips: Int
        let warmup: Int
        let runs: Int
        let paths: [String: [Run]]

        enum CodingKeys: String, CodingKey {
            case request, warmup, runs, paths
            case roundTrips = "round_trips"
        }

        static let ours = "ours: tunnel-connect → relay → agent (2× TLS)"
        static let ser2netDefault = "ser2net 4, default chardelay"
        static let ser2netOff = "ser2net 4, chardelay off"
        static let order = [ours, ser2netDefault, ser2netOff]

        /// The median over runs of each run's `pick`.
        func overRuns(_ path: String, _ pick: (Run) -> Double) -> Double? {
            median(paths[path]?.map(pick))
        }
    }

    let script: String
    /// Folder holding tunnel-relay, tunnel-agent, tunnel-connect and bms-sim.
    let binaries: String
    let roundTrips: Int
    let runs: Int

    /// The command line, for the report.
    var commandLine: String { "/usr/bin/python3 \(script) \(binaries) \(roundTrips) --runs \(runs) --json" }

    /// Runs the script; a missing program (python3, pyserial, ser2net, a binary) is an error
    /// naming it, which the report lists as left out.
    func run() async throws -> Figures {
        for program in ["tunnel-relay", "tunnel-agent", "tunnel-connect", "bms-sim"]
        where !FileManager.default.isExecutableFile(atPath: binaries + "/" + program) {
            throw PeerSetupFailure(what: "no \(program) in \(binaries)", detail: "scripts/bench-peers builds it in release")
        }
        guard FileManager.default.fileExists(atPath: script) else {
            throw PeerSetupFailure(what: "no \(script)", detail: "run tunnel-bench peers from the repository's root")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, binaries, String(roundTrips), "--runs", String(runs), "--json"]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice  // progress and errors go to our standard error
        try process.run()
        // Read on a thread of its own: a blocking read must not hold one of the few threads async work runs on.
        let data = try await Task.detached { try output.fileHandleForReading.readToEnd() ?? Data() }.value
        let status = try await Self.exitStatus(process.processIdentifier)
        guard status == 0 else {
            throw PeerSetupFailure(what: "bench_rfc2217.py exited with status \(status)", detail: "")
        }
        do {
            return try JSONDecoder().decode(Figures.self, from: data)
        } catch {
            throw PeerSetupFailure(what: "bench_rfc2217.py printed no figures", detail: "\(error)")
        }
    }

    /// Reaps `pid` and returns its exit status (128 + the signal when a signal ended it). Waits
    /// with `waitpid` itself: in this process, Foundation's own watch of its children was seen
    /// to leave this one a zombie, with `isRunning` true forever.
    private static func exitStatus(_ pid: Int32) async throws -> Int32 {
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped == -1 { return errno == ECHILD ? 0 : -1 }  // reaped elsewhere: its JSON was read
            try await Task.sleep(for: .milliseconds(50))
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
