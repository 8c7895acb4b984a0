import ProgramSupport
import TunnelRelay

await CommandEntry.run(RelayCommand.self)
