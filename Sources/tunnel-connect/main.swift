import ArgumentParser
import TunnelConnect

/// Runs an async command; a direct `ConnectCommand.main()` here resolves to the synchronous
/// entry point, which cannot run async subcommands.
func runAsync<Command: AsyncParsableCommand>(_: Command.Type) async {
    await Command.main(nil)
}

await runAsync(ConnectCommand.self)
