import ArgumentParser
import Foundation

/// `tunnel-relay device …`: the devices this relay accepts.
struct DeviceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device", abstract: "Register, list and revoke devices.",
        subcommands: [Add.self, List.self, Revoke.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a device and write its credential bundle (certificate, key, relay CA).")

        @OptionGroup var options: RelayOptions

        @Argument(help: "Device ID (letters, digits, '.', '_', '-'); the certificate's common name.")
        var deviceID: String

        @Option(help: "Customer the device belongs to.")
        var customer: String = "default"

        @Option(help: "Folder to write device.pem, device-key.pem and relay-ca.pem into.")
        var bundle: String

        func run() async throws {
            try DeviceRecord.validate(id: deviceID)
            try await options.withStore { store in
                if try await store.device(id: deviceID) != nil {
                    throw StoreError.deviceExists(deviceID)
                }
                let certificate = try RelayCredentials(dataDirectory: options.dataDirectory)
                    .issueDeviceBundle(deviceID: deviceID, into: bundle)
                try await store.addDevice(DeviceRecord(
                    id: deviceID, customer: customer, createdAt: Date(),
                    certificateSerial: "\(certificate.serialNumber)"))
            }
            let files = RelayCredentials.Bundle(directory: bundle)
            print("Registered device \(deviceID) for customer \(customer)")
            print("  certificate: \(files.certificatePath)")
            print("  key:         \(files.keyPath)")
            print("  relay CA:    \(files.caPath)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered devices.")

        @OptionGroup var options: RelayOptions

        func run() async throws {
            for device in try await options.withStore({ try await $0.devices() }) {
                let state = device.revokedAt.map { "revoked \($0)" } ?? "active"
                print("\(device.id)\t\(device.customer)\t\(state)\tregistered \(device.createdAt)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a device: the relay refuses its connections from now on.")

        @OptionGroup var options: RelayOptions

        @Argument(help: "Device ID.")
        var deviceID: String

        func run() async throws {
            try await options.withStore { try await $0.revokeDevice(id: deviceID, at: Date()) }
            print("Revoked device \(deviceID)")
        }
    }
}
