import ArgumentParser

/// `tunnel-relay`: the cloud side of the tunnel.
public struct RelayCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tunnel-relay",
        abstract: "Relay between BMS gateway agents and Control Panel clients.",
        discussion: """
            Agents (tunnel-agent) keep a TLS control connection to the relay; engineers attach to a \
            device's serial port with a one-time session token (tunnel-connect). Start with \
            `tunnel-relay init`, register devices with `tunnel-relay device add`, run \
            `tunnel-relay serve`, and open sessions with `tunnel-relay session open`.
            """,
        subcommands: [InitCommand.self, ServeCommand.self, DeviceCommand.self, SessionCommand.self, CaptureCommand.self])

    public init() {}
}

/// Options every relay subcommand shares.
struct RelayOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The relay's data directory (store and TLS material).")
    var dataDirectory: String = "/var/lib/tunnel-relay"

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    /// Path of the embedded store in the data directory.
    var storePath: String { dataDirectory + "/relay.sqlite" }

    /// Opens the store, runs `body` with it and closes it again.
    func withStore<T>(_ body: (SQLiteRelayStore) async throws -> T) async throws -> T {
        let store = try await SQLiteRelayStore.open(path: storePath)
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }
}
