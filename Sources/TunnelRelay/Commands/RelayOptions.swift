import ArgumentParser
import Foundation
import Logging

/// Options every relay subcommand shares.
struct RelayOptions: ParsableArguments {
    /// Read when `--database-url` is not given, so that a password need not be on the command line.
    static let databaseURLVariable = "TUNNEL_RELAY_DATABASE_URL"

    @Option(name: .customLong("data-dir"), help: "The relay's data directory (store and TLS material).")
    var dataDirectory: String = "/var/lib/tunnel-relay"

    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "PostgreSQL store shared by relay nodes: postgres://user[:password]@host[:port]/database[?sslmode=...].",
            discussion: "Without it (and without \(databaseURLVariable)) the store is relay.sqlite in the data directory."))
    var databaseURL: String?

    @Option(help: "Log level.")
    var logLevel: Logger.Level = .info

    /// Path of the embedded store in the data directory.
    var storePath: String { dataDirectory + "/relay.sqlite" }

    /// The PostgreSQL URL from the flag or the environment; `nil` for the embedded store.
    var resolvedDatabaseURL: String? {
        let url = databaseURL ?? ProcessInfo.processInfo.environment[Self.databaseURLVariable]
        return url.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Which store these options name, for logs (never with a password).
    var storeDescription: String {
        guard let url = resolvedDatabaseURL else { return "sqlite:" + storePath }
        return (try? PostgresDatabaseURL(parsing: url).description) ?? "postgres (unparsable URL)"
    }

    /// Opens (and migrates) the store these options name.
    func openStore(logger: Logger = Logger(label: "relay.store")) async throws -> any RelayStore {
        if let url = resolvedDatabaseURL {
            return try await PostgresRelayStore.open(url: url, logger: logger)
        }
        return try await SQLiteRelayStore.open(path: storePath, logger: logger)
    }

    /// Opens the store, runs `body` with it and closes it again.
    func withStore<T>(_ body: (any RelayStore) async throws -> T) async throws -> T {
        let store = try await openStore()
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

/// Who the CLI acts as in the audit log: the operator on the relay host.
let cliActor = "cli"
