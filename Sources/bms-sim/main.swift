import BMSSimulator
import TunnelPlumbing

await CommandEntry.run(SimulatorCommand.self)
