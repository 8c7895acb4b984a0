import ArgumentParser

/// The programs' entry point.
public enum CommandEntry {
    /// Parses the command line and runs `Command`. A bare `Command.main()` in a `main.swift`
    /// resolves to ArgumentParser's synchronous entry point, which cannot run async commands.
    public static func run<Command: AsyncParsableCommand>(_: Command.Type) async {
        await Command.main(nil)
    }
}
