import ArgumentParser
import ProgramSupport

/// `tunnel-bench`: measures what the tunnel adds to a Control Panel's round trip and how fast
/// one session moves bulk data, against direct loopback TCP and a direct PTY, all in-process.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tunnel",
        abstract: "Measure the tunnel's round-trip latency and bulk throughput on loopback.",
        discussion: """
            Starts a relay (real TLS, loopback), an agent whose serial device is the slave of a PTY \
            this program serves, and a client session. A 16-byte request is echoed by the PTY's master \
            side; the same exchange over direct loopback TCP and over the PTY alone gives the baselines. \
            Bulk throughput is measured each way through one session.
            """)

    @Option(help: "Measured round trips per path and run.")
    var roundTrips = 10_000

    @Option(help: "Unrecorded round trips before the measured ones.")
    var warmup = 1_000

    @Option(help: "MiB moved each way by the throughput measurement.")
    var bulkMib = 64

    @Option(help: "How many times to measure everything; the report gives each run and the median.")
    var runs = 3

    @Option(help: "Event loop threads of the relay.")
    var relayThreads = 1

    @Flag(help: "Smoke test, overriding the sizes: 200 round trips after at most 50 warm-up, 1 MiB each way, 1 run.")
    var quick = false

    func validate() throws {
        guard roundTrips > 0, warmup >= 0 else { throw ValidationError("--round-trips must be > 0 and --warmup >= 0") }
        guard bulkMib > 0 else { throw ValidationError("--bulk-mib must be > 0") }
        guard runs > 0 else { throw ValidationError("--runs must be > 0") }
        guard relayThreads > 0 else { throw ValidationError("--relay-threads must be > 0") }
    }

    func run() async throws {
        LogSetup.bootstrap(level: .warning)
        let settings =
            quick
            ? BenchSettings(roundTrips: 200, warmup: min(warmup, 50), bulkBytes: 1 << 20, runs: 1, relayThreads: relayThreads)
            : BenchSettings(roundTrips: roundTrips, warmup: warmup, bulkBytes: bulkMib << 20, runs: runs, relayThreads: relayThreads)
        let machine = MachineFacts.current()
        let runner = try await BenchRunner.start(settings: settings)
        var results: [RunResult] = []
        do {
            for index in 1...settings.runs {
                results.append(try await runner.run(index: index))
            }
        } catch {
            await runner.stop()
            throw error
        }
        await runner.stop()
        print(Report(settings: settings, machine: machine, loadAfter: MachineFacts.loadAverage(), runs: results).text)
    }
}
