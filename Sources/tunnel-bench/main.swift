import TunnelPlumbing

await CommandEntry.run(BenchRoot.self)
