import ArgumentParser
import BMSSimulator

/// Runs an async command; a direct `SimulatorCommand.main()` here resolves to the
/// synchronous entry point, which cannot run async commands.
func runAsync<Command: AsyncParsableCommand>(_: Command.Type) async {
    await Command.main(nil)
}

await runAsync(SimulatorCommand.self)
