import TunnelRelay
import TunnelPlumbing

await CommandEntry.run(RelayCommand.self)
