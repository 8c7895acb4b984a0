import ArgumentParser
import Foundation

/// `tunnel-relay user …`: the people and programs that act through API keys.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Add and list users, and set their console passwords.",
        discussion: """
            Roles: admin (everything, every customer), engineer (control and monitor sessions on \
            their customers' devices), viewer (monitor sessions on their customers' devices).
            """,
        subcommands: [Add.self, Change.self, List.self, Passwd.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user with a role, scoped to customers.")

        @OptionGroup var options: RelayOptions

        @Argument(help: "User ID (letters, digits, '.', '_', '-', '@').")
        var userID: String

        @OptionGroup var scope: UserScope

        func run() async throws {
            let user = UserRecord(id: userID, role: scope.role, customers: scope.customers, createdAt: Date())
            try await options.withStore { try await $0.addUser(user, by: cliActor) }
            print("Added user \(userID) (\(scope.role)); create a key with `tunnel-relay key create --user \(userID)`")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users with their roles and customers.")

        @OptionGroup var options: RelayOptions

        func run() async throws {
            for user in try await options.withStore({ try await $0.users() }) {
                let scope = user.role == .admin ? "all customers" : user.customers.joined(separator: ",")
                print("\(user.id)\t\(user.role)\t\(scope)\tadded \(ISO8601DateFormatter().string(from: user.createdAt))")
            }
        }
    }

    struct Change: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Give a user another role and customers (replacing the ones they had).")

        @OptionGroup var options: RelayOptions

        @Argument(help: "User ID.")
        var userID: String

        @OptionGroup var scope: UserScope

        func run() async throws {
            let changed = try await options.withStore {
                try await $0.changeUser(id: userID, role: scope.role, customers: scope.customers, at: Date(), by: cliActor)
            }
            let reach = changed.role == .admin ? "every customer" : changed.customers.joined(separator: ", ")
            print("User \(changed.id) is now \(changed.role) of \(reach)")
        }
    }
}

/// A user's role and the customers they reach, as `user add` and `user set` take them.
struct UserScope: ParsableArguments {
    @Option(help: "What the user may do.")
    var role: UserRole

    @Option(name: .customLong("customer"), help: "A customer whose devices the user may reach (repeatable).")
    var customers: [String] = []

    func validate() throws {
        if role != .admin && customers.isEmpty {
            throw ValidationError(
                "\(role == .viewer ? "a" : "an") \(role) needs at least one --customer (administrators reach every customer)")
        }
    }
}
