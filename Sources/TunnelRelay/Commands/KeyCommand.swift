import ArgumentParser
import Foundation

/// `tunnel-relay key …`: API keys, the credentials users present to the admin API.
struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Create, list and revoke API keys.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key for a user and print it, once: the relay keeps only its hash.")

        @OptionGroup var options: RelayOptions

        @Option(help: "The user the key acts as.")
        var user: String

        @Option(help: "What the key is for (shown by `key list`).")
        var name: String = "cli"

        func run() async throws {
            let key = APIKey.generate()
            try await options.withStore { store in
                try await store.createAPIKey(APIKeyRecord(key: key, userID: user, name: name, createdAt: Date()), by: cliActor)
            }
            print(key)
            FileHandle.standardError.write(Data("Key \(key.keyID) for \(user); it is shown only now.\n".utf8))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List API keys (never their secrets).")

        @OptionGroup var options: RelayOptions

        @Option(help: "Only this user's keys.")
        var user: String?

        func run() async throws {
            let format = ISO8601DateFormatter()
            for key in try await options.withStore({ try await $0.apiKeys(userID: user) }) {
                let state = key.revokedAt.map { "revoked \(format.string(from: $0))" } ?? "active"
                let used = key.lastUsedAt.map { "last used \(format.string(from: $0))" } ?? "never used"
                print("\(key.id)\t\(key.userID)\t\(key.name)\t\(state)\t\(used)\tcreated \(format.string(from: key.createdAt))")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key: it stops working at once.")

        @OptionGroup var options: RelayOptions

        @Argument(help: "Key ID (the middle part of ak1.<key id>.<secret>).")
        var keyID: String

        func run() async throws {
            try await options.withStore { try await $0.revokeAPIKey(id: keyID, at: Date(), by: cliActor) }
            print("Revoked key \(keyID)")
        }
    }
}
