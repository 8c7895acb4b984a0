import ArgumentParser

/// `tunnel-bench`: the project's benchmarks. `tunnel` (the default) measures the tunnel on
/// loopback; `codec` measures the wire decoders on one core; `uplink` the telemetry path to a
/// real MQTT broker; `console-fixture` fills a relay store for the console's benchmark.
struct BenchRoot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tunnel-bench",
        abstract: "Benchmarks: the tunnel on loopback (default) and the wire decoders.",
        subcommands: [
            BenchCommand.self, CodecBenchCommand.self, UplinkBenchCommand.self,
            FaultsCommand.self,
            PeersBenchCommand.self, PresenceBenchCommand.self, ConsoleFixtureCommand.self,
        ],
        defaultSubcommand: BenchCommand.self)
}
