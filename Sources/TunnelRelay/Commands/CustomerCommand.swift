import ArgumentParser
import Foundation

/// `tunnel-relay customer …`: the customers devices belong to and users are scoped to.
struct CustomerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customer", abstract: "Add and list customers.",
        discussion: "A device's customer is also created when the device is added.",
        subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a customer.")

        @OptionGroup var options: RelayOptions

        @Argument(help: "Customer ID (letters, digits, '.', '_', '-').")
        var customerID: String

        @Option(help: "Display name (default: the ID).")
        var name: String?

        func run() async throws {
            let customer = CustomerRecord(id: customerID, name: name ?? customerID, createdAt: Date())
            try await options.withStore { try await $0.addCustomer(customer, by: cliActor) }
            print("Added customer \(customerID)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List customers.")

        @OptionGroup var options: RelayOptions

        func run() async throws {
            for customer in try await options.withStore({ try await $0.customers() }) {
                print("\(customer.id)\t\(customer.name)\tadded \(ISO8601DateFormatter().string(from: customer.createdAt))")
            }
        }
    }
}
