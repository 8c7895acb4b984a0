import ArgumentParser
import TunnelRelay

/// Runs an async command; a direct `RelayCommand.main()` here resolves to the synchronous
/// entry point, which cannot run async subcommands.
func runAsync<Command: AsyncParsableCommand>(_: Command.Type) async {
    await Command.main(nil)
}

await runAsync(RelayCommand.self)
