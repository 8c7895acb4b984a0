import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOSSL
import TunnelPlumbing
import X509

/// The gateway's side of registration: a new P-256 key, a certificate signing request for the
/// device ID, `POST /v1/register` with the provisioning secret, and the bundle written (the key
/// only once the relay accepted).
struct GatewayRegistration {
    let adminURL: String
    let deviceID: String
    let secret: String
    let folder: String

    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    private struct Accepted: Decodable {
        let customer: String
        let certificate: String
        let relayCA: String
    }

    private struct Failure: Decodable {
        struct Detail: Decodable { let message: String }
        let error: Detail
    }

    /// Registers and writes the bundle; the customer the device now belongs to.
    func run(trustedCA: [NIOSSLCertificate]?) async throws -> String {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let request = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName(deviceID) }, privateKey: key, attributes: .init(),
            signatureAlgorithm: .ecdsaWithSHA256)
        let body = try JSONSerialization.data(withJSONObject: [
            "deviceId": deviceID, "secret": secret, "csr": try request.serializeAsPEM().pemString,
        ])
        let accepted = try await post(body, trustedCA: trustedCA)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let bundle = (key: folder + "/device-key.pem", certificate: folder + "/device.pem", ca: folder + "/relay-ca.pem")
        try DurableFile.write(Array((try key.serializeAsPEM().pemString + "\n").utf8), to: bundle.key, mode: 0o600)
        try DurableFile.write(Array((accepted.certificate + "\n").utf8), to: bundle.certificate, mode: 0o644)
        try DurableFile.write(Array((accepted.relayCA + "\n").utf8), to: bundle.ca, mode: 0o644)
        return accepted.customer
    }

    private func post(_ body: Data, trustedCA: [NIOSSLCertificate]?) async throws -> Accepted {
        var tls = TLSPolicy.client(trustedCA: trustedCA)
        tls.applicationProtocols = ["http/1.1"]
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        defer { _ = client.shutdown() }
        var request = HTTPClientRequest(url: (adminURL.hasSuffix("/") ? String(adminURL.dropLast()) : adminURL) + "/v1/register")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: body))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(30))
        } catch {
            throw Refused(description: "the relay's admin API at \(adminURL) could not be reached: \(error)")
        }
        let bytes = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .created else {
            let failure = try? JSONDecoder().decode(Failure.self, from: bytes)
            throw Refused(description: "\(failure?.error.message ?? "no details") (HTTP \(response.status.code))")
        }
        return try JSONDecoder().decode(Accepted.self, from: bytes)
    }
}
