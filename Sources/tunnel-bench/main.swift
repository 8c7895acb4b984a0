import ProgramSupport

await CommandEntry.run(BenchRoot.self)
