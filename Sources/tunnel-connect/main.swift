import ProgramSupport
import TunnelConnect

// `tunnel-connect install-handler …` is its own command; anything else is a connect.
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "install-handler" {
    InstallHandlerCommand.main(Array(arguments.dropFirst()))
} else {
    await CommandEntry.run(ConnectCommand.self)
}
