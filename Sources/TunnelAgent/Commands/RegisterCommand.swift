import AdminClient
import ArgumentParser
import Foundation
import TunnelPKI

/// `tunnel-agent register`: the gateway registers itself once with a provisioning secret.
struct RegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Register this gateway with the relay once and write its credential bundle.",
        discussion: """
            Makes a new key here (it never leaves the gateway), sends a certificate signing \
            request for the device ID with the provisioning secret from `tunnel-relay device \
            secret` to the relay's admin API, and writes device-key.pem, device.pem and \
            relay-ca.pem into --out, ready for settings.json's tunnel section. A device ID \
            registers once: a second attempt is refused until an administrator resets the device. \
            The secret is read from --secret-file or TUNNEL_PROVISIONING_SECRET, never from the \
            command line.
            """)

    @Option(help: "The relay's admin API, for example https://relay.example.com:8443.")
    var adminURL: String

    @Option(help: "PEM file of the relay's CA (shipped with the gateway image); the system's trust store when absent.")
    var ca: String?

    @Option(help: "This gateway's device ID (the certificate's common name).")
    var deviceID: String

    @Option(help: "File holding the provisioning secret (else TUNNEL_PROVISIONING_SECRET).")
    var secretFile: String?

    @Option(help: "Folder for device-key.pem, device.pem and relay-ca.pem.")
    var out: String = "/etc/tunnel-agent"

    func validate() throws {
        do {
            _ = try AdminBaseURL.checked(adminURL)
        } catch let refused as AdminBaseURL.Refused {
            throw ValidationError("--admin-url: \(refused)")
        }
    }

    func run() async throws {
        let secret: String
        if let secretFile {
            guard let text = try? String(contentsOfFile: secretFile, encoding: .utf8) else {
                throw ValidationError("--secret-file \(secretFile) cannot be read")
            }
            secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        } else if let text = ProcessInfo.processInfo.environment["TUNNEL_PROVISIONING_SECRET"], !text.isEmpty {
            secret = text
        } else {
            throw ValidationError("give the provisioning secret in --secret-file or TUNNEL_PROVISIONING_SECRET")
        }
        let registration = GatewayRegistration(adminURL: adminURL, deviceID: deviceID, secret: secret, folder: out)
        do {
            let customer = try await registration.run(trustedCA: try ca.map(PEMFiles.certificates(at:)))
            print("Registered device \(deviceID) for customer \(customer); credentials in \(out)")
        } catch let refused as AdminAPIClient.Refused {
            print("Registration refused: \(refused)")
            throw ExitCode(2)
        }
    }
}
