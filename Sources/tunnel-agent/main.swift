import ProgramSupport
import TunnelAgent

await CommandEntry.run(AgentCommand.self)
