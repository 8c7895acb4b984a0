import BMSSimulator
import ProgramSupport

await CommandEntry.run(SimulatorCommand.self)
