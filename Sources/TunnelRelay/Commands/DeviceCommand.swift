import ArgumentParser
import Foundation

/// `tunnel-relay device …`: the devices this relay accepts.
struct DeviceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device", abstract: "Register, list, reset, revoke and move devices.",
        subcommands: [Add.self, List.self, Reset.self, Revoke.self, Move.self, DeviceSecretCommand.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a device and write its credential bundle (certificate, key, relay CA).",
            discussion: "A device ID registers once; to register it again, `tunnel-relay device reset` it first.")

        @OptionGroup var options: RelayOptions

        @Argument(help: "Device ID (letters, digits, '.', '_', '-'); the certificate's common name.")
        var deviceID: String

        @Option(help: "Customer the device belongs to (created if new); a reset device keeps its own, \"default\" for a new one.")
        var customer: String?

        @Option(help: "Folder to write device.pem, device-key.pem and relay-ca.pem into.")
        var bundle: String

        func run() async throws {
            let owner = try await options.withStore { store in
                try await DeviceEnrollment.register(
                    deviceID: deviceID, customer: customer, bundle: bundle, actor: cliActor, store: store,
                    dataDirectory: options.dataDirectory)
            }
            let files = RelayCredentials.Bundle(directory: bundle)
            print("Registered device \(deviceID) for customer \(owner)")
            print("  certificate: \(files.certificatePath)")
            print("  key:         \(files.keyPath)")
            print("  relay CA:    \(files.caPath)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List devices: customer, registration state, presence.")

        @OptionGroup var options: RelayOptions

        @Option(help: "Only the devices this user may see.")
        var user: String?

        func run() async throws {
            let devices = try await options.withStore { store in
                guard let user else { return try await store.devices() }
                guard let record = try await store.user(id: user) else { throw StoreError.userNotFound(user) }
                return try await store.devices(visibleTo: record)
            }
            for device in devices {
                print(
                    [
                        device.id, device.customer, Self.state(device), Self.presence(device.presence),
                        "created \(Self.time(device.createdAt))",
                    ].joined(separator: "\t"))
            }
        }

        static func state(_ device: DeviceRecord) -> String {
            if device.registeredAt == nil { return "reset, may register again" }
            return device.revokedAt.map { "revoked \(time($0))" } ?? "active"
        }

        static func presence(_ presence: DevicePresence) -> String {
            guard let lastSeen = presence.lastSeenAt else { return "never seen" }
            let agent = [presence.agentVersion, presence.remoteAddress.map { "from \($0)" }, presence.relayNode.map { "on \($0)" }]
                .compactMap { $0 }.joined(separator: " ")
            return (presence.online ? "online" : "offline, last seen \(time(lastSeen))") + (agent.isEmpty ? "" : " (\(agent))")
        }

        static func time(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reset a device: its credential stops working and its ID may register again.")

        @OptionGroup var options: RelayOptions

        @Argument(help: "Device ID.")
        var deviceID: String

        func run() async throws {
            _ = try await options.withStore { try await $0.resetDevice(id: deviceID, at: Date(), by: cliActor) }
            print("Reset device \(deviceID): the relay refuses it until it registers again (tunnel-relay device add)")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a device: the relay refuses its connections from now on.")

        @OptionGroup var options: RelayOptions

        @Argument(help: "Device ID.")
        var deviceID: String

        func run() async throws {
            try await options.withStore { try await $0.revokeDevice(id: deviceID, at: Date(), by: cliActor) }
            print("Revoked device \(deviceID)")
        }
    }
}

extension DeviceCommand {
    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a device to another customer: from now on that customer's users see it, the old one's do not.",
            discussion: "Registration never moves a device: a reset device registers again only in its own customer.")

        @OptionGroup var options: RelayOptions

        @Argument(help: "Device ID.")
        var deviceID: String

        @Option(help: "The customer to move it to (must exist: see `tunnel-relay customer`).")
        var customer: String

        func run() async throws {
            let moved = try await options.withStore {
                try await $0.moveDevice(id: deviceID, toCustomer: customer, at: Date(), by: cliActor)
            }
            print("Device \(moved.id) now belongs to customer \(moved.customer)")
        }
    }
}
