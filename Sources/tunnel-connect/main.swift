import ProgramSupport
import TunnelConnect

await CommandEntry.run(ConnectCommand.self)
