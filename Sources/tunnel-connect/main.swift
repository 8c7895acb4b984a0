import TunnelConnect
import TunnelPlumbing

await CommandEntry.run(ConnectCommand.self)
