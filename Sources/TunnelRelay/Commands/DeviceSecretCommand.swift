import ArgumentParser
import Foundation

/// `tunnel-relay device secret`: a provisioning secret that lets gateways register themselves.
struct DeviceSecretCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret",
        abstract: "Print a provisioning secret with which gateways register themselves once (`tunnel-agent register`).",
        discussion: """
            For a customer's fleet (any device ID) or, with --device, for one device ID. The gateway \
            sends its own certificate signing request with the secret to the admin API \
            (POST /v1/register); the relay signs it with its device CA, so the gateway's key never \
            leaves it. Each device ID registers once; `device reset` allows it again. Secrets are \
            signed with <data-dir>/tls/provisioning.key and not stored: deleting that file \
            withdraws every secret issued so far (nodes sharing a store must share the file).
            """)

    @OptionGroup var options: RelayOptions

    @Option(help: "Customer the registered devices belong to.")
    var customer: String

    @Option(help: "Only this device ID may register with the secret.")
    var device: String?

    @Option(help: "Days the secret stays valid.")
    var days: Int = 30

    func run() throws {
        try CustomerRecord.validate(id: customer)
        if let device { try DeviceRecord.validate(id: device) }
        guard (1...3650).contains(days) else { throw ValidationError("--days must be 1 to 3650, got \(days)") }
        let expiry = Date().addingTimeInterval(Double(days) * 86_400)
        let secret = ProvisioningSecret(customer: customer, deviceID: device, expiresAt: expiry)
        print(secret.text(key: try RelayCredentials(dataDirectory: options.dataDirectory).provisioningKey()))
    }
}
