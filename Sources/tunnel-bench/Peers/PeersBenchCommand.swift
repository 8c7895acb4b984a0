import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
    import ProgramSupport
#endif

/// `tunnel-bench peers`: our tunnel against direct TCP, socat, stunnel and `ssh -R` on
/// loopback, plus idle-agent capacity, written as `BENCHMARKS.md`.
struct PeersBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peers",
        abstract: "Measure the tunnel against socat, stunnel and ssh -R, and the relay's idle-agent capacity.",
        discussion: """
            Round trip (16-byte request and answer), session setup and throughput with one and with many \
            sessions through: direct loopback TCP, two socat hops, four stunnel processes (two TLS legs), an \
            OpenSSH reverse tunnel (own sshd on a free port), and ours (tunnel-relay serve as its own process, \
            real agents, TLS). Then idle agents: real mutual-TLS control connections by the thousand against the \
            same relay process, with its memory and a session's round trip at each step. Writes Markdown to \
            standard output and to --output. A peer whose program is missing is left out and named.
            """)

    @Option(help: "Measured round trips per path and run.")
    var roundTrips = 10_000

    @Option(help: "Unrecorded round trips before the measured ones.")
    var warmup = 1_000

    @Option(help: "Runs of the round-trip measurement, interleaved across paths.")
    var runs = 5

    @Option(help: "MiB moved each way by one session.")
    var bulkMib = 64

    @Option(help: "Concurrent sessions for the many-sessions throughput and the session-count growth.")
    var sessions = 100

    @Option(help: "KiB each concurrent session moves each way.")
    var sessionKib = 1_024

    @Option(help: "Session setups measured per path.")
    var setups = 200

    @Option(
        help:
            "Idle-agent counts to step through, comma-separated (\"\" for none); a count above what the open-file limits allow ends the steps at that limit, named in the report."
    )
    var agents = "10,100,1000,10000,50000"

    @Option(help: "TLS handshakes in flight while idle agents connect.")
    var handshakeConcurrency = 64

    @Option(help: "Event loop threads of the idle-agent load generator.")
    var generatorThreads = 2

    @Option(help: "Round trips measured at each growth step.")
    var growthRoundTrips = 3_000

    @Option(help: "Event loop threads of tunnel-relay serve (0: one per core).")
    var relayThreads = 0

    @Option(help: "pyserial round trips per path and run through our RFC 2217 port and ser2net's (0: leave it out).")
    var rfc2217RoundTrips = 2_000

    @Option(help: "The RFC 2217 comparison's script (pyserial).")
    var rfc2217Script = "scripts/bench_rfc2217.py"

    @Option(help: "The tunnel-relay program (default: next to this one).")
    var relayBinary: String?

    @Option(help: "Also write the Markdown report to this file.")
    var output: String?

    @Flag(help: "Smoke test, overriding the sizes: 200 round trips, 1 run, 1 MiB, 3 sessions of 64 KiB, 5 setups, 5 and 20 idle agents.")
    var quick = false

    func validate() throws {
        guard rfc2217RoundTrips >= 0 else { throw ValidationError("--rfc2217-round-trips must be ≥ 0") }
        guard roundTrips > 0, warmup >= 0, generatorThreads > 0, runs > 0, bulkMib > 0, sessions > 0, sessionKib > 0, setups > 0 else {
            throw ValidationError("--round-trips, --runs, --bulk-mib, --sessions, --session-kib and --setups must be > 0")
        }
        guard (try? agentSteps()) != nil else {
            throw ValidationError("--agents must be comma-separated positive counts, got \"\(agents)\"")
        }
    }

    private func agentSteps() throws -> [Int] {
        try agents.split(separator: ",").map { text in
            guard let count = Int(text.trimmingCharacters(in: .whitespaces)), count > 0 else { throw ValidationError("") }
            return count
        }
    }

    func run() async throws {
        LogSetup.bootstrap(level: .warning)
        let settings = try makeSettings()
        Self.raiseDescriptorLimit(to: 4 * (settings.agentSteps.max() ?? 0) + 8 * settings.sessions + 4_096)
        let machine = MachineFacts.current()
        let results = try await PeersRun(settings: settings).run()
        let report = PeersReport(
            settings: settings, machine: machine, loadAfter: MachineFacts.loadAverage(),
            invocation: (["tunnel-bench"] + CommandLine.arguments.dropFirst()).joined(separator: " "), results: results)
        print(report.markdown, terminator: "")
        if let output {
            try report.markdown.write(toFile: output, atomically: true, encoding: .utf8)
        }
    }

    private func makeSettings() throws -> PeersSettings {
        let relayBinary =
            self.relayBinary
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("tunnel-relay").path
        guard FileManager.default.isExecutableFile(atPath: relayBinary) else {
            throw ValidationError("no tunnel-relay program at \(relayBinary); build it or pass --relay-binary")
        }
        if quick {
            var settings = PeersSettings(
                bench: BenchSettings(roundTrips: 200, warmup: 50, bulkBytes: 1 << 20, runs: 1, phaseTimeout: .seconds(60)),
                sessions: 3, bytesPerConcurrentSession: 64 << 10, setups: 5, agentSteps: [5, 20], handshakeConcurrency: 8,
                generatorThreads: 1,
                growthRoundTrips: 100, relayThreads: relayThreads, relayBinary: relayBinary)
            settings.rfc2217RoundTrips = min(rfc2217RoundTrips, 100)
            settings.rfc2217Script = rfc2217Script
            return settings
        }
        var settings = PeersSettings(
            bench: BenchSettings(roundTrips: roundTrips, warmup: warmup, bulkBytes: bulkMib << 20, runs: runs),
            sessions: sessions, bytesPerConcurrentSession: sessionKib << 10, setups: setups, agentSteps: try agentSteps(),
            handshakeConcurrency: handshakeConcurrency, generatorThreads: generatorThreads, growthRoundTrips: growthRoundTrips,
            relayThreads: relayThreads,
            relayBinary: relayBinary)
        settings.rfc2217RoundTrips = rfc2217RoundTrips
        settings.rfc2217Script = rfc2217Script
        return settings
    }

    /// Raises the open-file limit (soft, and hard when permitted) for this process and the
    /// relay it starts, which inherits it: every idle agent is a descriptor on each side.
    private static func raiseDescriptorLimit(to wanted: Int) {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0, limit.rlim_cur < rlim_t(wanted) else { return }
        var raised = limit
        raised.rlim_cur = rlim_t(wanted)
        raised.rlim_max = max(limit.rlim_max, rlim_t(wanted))
        if setrlimit(RLIMIT_NOFILE_VALUE, &raised) != 0 {
            raised.rlim_cur = limit.rlim_max
            raised.rlim_max = limit.rlim_max
            _ = setrlimit(RLIMIT_NOFILE_VALUE, &raised)
        }
    }

    private static var RLIMIT_NOFILE_VALUE: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
}
