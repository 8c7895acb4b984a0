import TunnelPlumbing

await CommandEntry.run(BenchCommand.self)
