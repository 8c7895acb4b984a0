import Foundation

extension AgentSettings.MQTT {
    /// A client certificate or key is configured (`cli_cert` or `cli_key` not empty).
    public var hasClientCertificate: Bool { !cliCert.isEmpty || !cliKey.isEmpty }

    /// Whether the uplink speaks TLS: for `mqtts://`, for port 8883 whatever the scheme (the
    /// vendor's files write `mqtt://host:8883` and mean TLS), and whenever a client
    /// certificate is configured (a certificate only means something over TLS). Cleartext only
    /// for an explicit `mqtt://` on another port without certificates.
    public var usesTLS: Bool {
        guard let broker = BrokerAddress(uri: uri) else { return true }
        return broker.usesTLS || hasClientCertificate
    }

    /// Every problem with the files the uplink reads (paths already resolved): a client
    /// certificate or key that is configured but cannot be read, or one without the other.
    /// Nothing for a disabled section. `check-config` prints them, and the uplink refuses to
    /// start with them rather than connect without its certificate.
    public func fileProblems(isReadable: (String) -> Bool = { FileManager.default.isReadableFile(atPath: $0) })
        -> [ConfigReport.Problem]
    {
        guard enabled else { return [] }
        var problems: [ConfigReport.Problem] = []
        for (key, path, other, otherPath) in [("cli_cert", cliCert, "cli_key", cliKey), ("cli_key", cliKey, "cli_cert", cliCert)] {
            if path.isEmpty {
                if !otherPath.isEmpty {
                    problems.append(
                        .init(
                            path: "$.mqtt.\(key)", found: "nothing",
                            expected: "a PEM file path: \(other) is set, and a client certificate needs both its certificate and its key"))
                }
            } else if !isReadable(path) {
                problems.append(
                    .init(
                        path: "$.mqtt.\(key)", found: "no readable file at \(path)",
                        expected: "a readable PEM file (the uplink never connects without its configured client certificate)"))
            }
        }
        return problems
    }
}
