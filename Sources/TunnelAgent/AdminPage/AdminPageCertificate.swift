import Crypto
import Foundation
import SwiftASN1
import X509

/// The admin page's own TLS certificate: self-signed, made on first start and kept in the state
/// folder (`admin-page.pem`, certificate and key, mode 0600). A technician checks its SHA-256
/// fingerprint, which the agent logs and `tunnel-agent status` prints, against the browser's.
struct AdminPageCertificate {
    let certificatePEM: String
    let keyPEM: String
    /// SHA-256 of the certificate's DER, as colon-separated uppercase hex.
    let fingerprint: String

    static func path(stateDirectory: String) -> String { stateDirectory + "/admin-page.pem" }

    /// The stored certificate, or a new one written durably when there is none or it does not load.
    static func loadOrMake(stateDirectory: String, hostName: String) throws -> (certificate: AdminPageCertificate, made: Bool) {
        let path = path(stateDirectory: stateDirectory)
        if let stored = try? load(path: path) { return (stored, false) }
        let made = try make(hostName: hostName)
        try DurableFile.write(Array((made.certificatePEM + made.keyPEM).utf8), to: path, mode: 0o600)
        return (made, true)
    }

    /// The certificate in `path`; throws when it is missing or unreadable.
    static func load(path: String) throws -> AdminPageCertificate {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let documents = try PEMDocument.parseMultiple(pemString: text)
        guard let certificate = documents.first(where: { $0.discriminator == "CERTIFICATE" }),
            let key = documents.first(where: { $0.discriminator == "PRIVATE KEY" })
        else { throw DiagnoseError("\(path) does not hold a certificate and a private key") }
        _ = try Certificate(derEncoded: certificate.derBytes)
        return AdminPageCertificate(
            certificatePEM: certificate.pemString + "\n", keyPEM: key.pemString + "\n", fingerprint: fingerprint(of: certificate.derBytes))
    }

    private static func make(hostName: String) throws -> AdminPageCertificate {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            CommonName(hostName.isEmpty ? "tunnel-agent" : String(hostName.prefix(64)))
            OrganizationName("tunnel-agent admin page")
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
            },
            issuerPrivateKey: .init(key))
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        let der = serializer.serializedBytes
        return AdminPageCertificate(
            certificatePEM: PEMDocument(type: "CERTIFICATE", derBytes: der).pemString + "\n", keyPEM: key.pemRepresentation + "\n",
            fingerprint: fingerprint(of: der))
    }

    static func fingerprint(of der: [UInt8]) -> String {
        SHA256.hash(data: der).map { String(format: "%02X", $0) }.joined(separator: ":")
    }
}
