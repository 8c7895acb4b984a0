import AdminClient
import Crypto
import Foundation
import NIOSSL
import X509

/// The gateway's side of registration: a new P-256 key, a certificate signing request for the
/// device ID, `POST /v1/register` with the provisioning secret, and the bundle written (the key
/// only once the relay accepted).
struct GatewayRegistration {
    let adminURL: String
    let deviceID: String
    let secret: String
    let folder: String

    private struct Accepted: Decodable {
        let customer: String
        let certificate: String
        let relayCA: String
    }

    /// Registers and writes the bundle; the customer the device now belongs to.
    func run(trustedCA: [NIOSSLCertificate]?) async throws -> String {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let request = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName(deviceID) }, privateKey: key, attributes: .init(),
            signatureAlgorithm: .ecdsaWithSHA256)
        let api = try AdminAPIClient(baseURL: adminURL, trustedCA: trustedCA)
        let accepted = try await api.post(
            "/v1/register", json: ["deviceId": deviceID, "secret": secret, "csr": try request.serializeAsPEM().pemString],
            expecting: .created, as: Accepted.self)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let bundle = (key: folder + "/device-key.pem", certificate: folder + "/device.pem", ca: folder + "/relay-ca.pem")
        try DurableFile.write(Array((try key.serializeAsPEM().pemString + "\n").utf8), to: bundle.key, mode: 0o600)
        try DurableFile.write(Array((accepted.certificate + "\n").utf8), to: bundle.certificate, mode: 0o644)
        try DurableFile.write(Array((accepted.relayCA + "\n").utf8), to: bundle.ca, mode: 0o644)
        return accepted.customer
    }
}
