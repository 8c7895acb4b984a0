import ArgumentParser
import TunnelAgent

/// Runs an async command; a direct `AgentCommand.main()` here resolves to the synchronous
/// entry point, which cannot run async subcommands.
func runAsync<Command: AsyncParsableCommand>(_: Command.Type) async {
    await Command.main(nil)
}

await runAsync(AgentCommand.self)
