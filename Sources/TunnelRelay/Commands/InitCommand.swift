import ArgumentParser
import Foundation

/// `tunnel-relay init`: make the data directory, its CAs, server certificate and store.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the relay's CAs, server certificate and store in the data directory.")

    @OptionGroup var options: RelayOptions

    @Option(name: .customLong("hostname"), help: "A DNS name or IP address clients use for the relay (repeatable).")
    var hostnames: [String] = ["localhost", "127.0.0.1", "::1"]

    @Flag(help: "Replace existing TLS material (every issued device certificate stops working).")
    var force = false

    @Flag(
        help:
            "Only issue a new server certificate under the existing server CA (nothing else changes); send the running relay SIGHUP to use it."
    )
    var renewServerCertificate = false

    @Option(
        help:
            "Key of the relay's TLS certificate: ecdsa (P-256, fastest) or rsa (2048; needed by TLS 1.2 peers that only speak ECDHE-RSA-AES256-SHA)."
    )
    var keyType: RelayCredentials.ServerKeyType = .ecdsa

    func run() async throws {
        let credentials = RelayCredentials(dataDirectory: options.dataDirectory)
        if renewServerCertificate {
            guard credentials.exist else {
                throw ValidationError("\(credentials.directory) holds no TLS material yet; run `tunnel-relay init` first")
            }
            try credentials.renewServerCertificate(hostnames: hostnames, serverKeyType: keyType)
            print("Renewed the server certificate (\(keyType.rawValue)) for: \(hostnames.joined(separator: ", "))")
            print("  a running relay takes it on SIGHUP (systemctl reload tunnel-relay); connections already up are kept")
            return
        }
        if credentials.exist && !force {
            throw ValidationError("\(credentials.directory) already holds TLS material; use --force to replace it")
        }
        try credentials.create(hostnames: hostnames, serverKeyType: keyType)
        let store = try await SQLiteRelayStore.open(path: options.storePath)
        try await store.close()
        print("Initialised \(options.dataDirectory)")
        print("  server CA (give to agents and clients): \(credentials.serverCAPath)")
        print("  device CA (signs device certificates):  \(credentials.deviceCAPath)")
        print("  server certificate (\(keyType.rawValue)) for: \(hostnames.joined(separator: ", "))")
        print("  provisioning key (signs registration secrets): \(credentials.provisioningKeyPath)")
    }
}
