import TunnelAgent
import TunnelPlumbing

await CommandEntry.run(AgentCommand.self)
