import ArgumentParser

/// `tunnel-bench faults`: figures of the tunnel under faults, against a real `tunnel-relay
/// serve` process. `restart`: how fast a fleet of agents is back after the relay was killed
/// with SIGKILL; `detect`: how long a silently dead peer (no FIN, no RST: a pulled cable) goes
/// unnoticed on each side; `abuse`: the relay's memory before, during and after a flood of
/// hostile connections. Figures only, never pass/fail on their values.
struct FaultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faults",
        abstract: "Fault figures: reconnection after a relay SIGKILL, dead-peer detection, relay memory under abuse.",
        subcommands: [RelayRestartBench.self, DeadPeerBench.self, AbuseMemoryBench.self])
}

/// Options every fault benchmark shares.
struct FaultOptions: ParsableArguments {
    @Option(help: "The tunnel-relay binary (default: the one next to tunnel-bench).")
    var relayBinary: String?

    @Option(help: "Folder for the relay's data directory and logs (default: a new temporary folder, removed at the end).")
    var workDir: String?

    @Flag(help: "Keep the work folder (logs, relay data) after the run.")
    var keep = false
}
