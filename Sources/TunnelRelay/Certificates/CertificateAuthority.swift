import Crypto
import Foundation
import SwiftASN1
import X509

/// A certificate authority held as a certificate and its private key.
///
/// The relay keeps two: the server CA, which signs the relay's TLS certificate (agents and
/// clients trust it), and the device CA, which signs device client certificates (the relay
/// trusts it). A device certificate can therefore never pass as the relay.
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    public let privateKey: Certificate.PrivateKey

    public init(certificate: Certificate, privateKey: Certificate.PrivateKey) {
        self.certificate = certificate
        self.privateKey = privateKey
    }

    /// A new self-signed CA with a P-256 key, valid for `years`.
    public static func create(commonName: String, years: Int = 20, now: Date = Date()) throws -> CertificateAuthority {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let name = try DistinguishedName {
            OrganizationName("BMS Tunnel")
            CommonName(commonName)
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(Double(years) * 365 * 86_400),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: key.publicKey)
            },
            issuerPrivateKey: key)
        return CertificateAuthority(certificate: certificate, privateKey: key)
    }

    /// What an issued certificate is for.
    public enum Purpose: Sendable {
        /// A TLS server certificate for these DNS names and IP addresses.
        case server(dnsNames: [String], ipAddresses: [String])
        /// A TLS client certificate; the common name is the device ID.
        case client
    }

    /// Issues a certificate for `publicKey` with `commonName`, valid for `days`.
    public func issue(
        commonName: String, publicKey: Certificate.PublicKey, purpose: Purpose, days: Int, now: Date = Date()
    ) throws -> Certificate {
        let subject = try DistinguishedName {
            OrganizationName("BMS Tunnel")
            CommonName(commonName)
        }
        let extensions: Certificate.Extensions
        switch purpose {
        case .server(let dnsNames, let ipAddresses):
            let names =
                dnsNames.map { GeneralName.dnsName($0) }
                + (try ipAddresses.map { GeneralName.ipAddress(ASN1OctetString(contentBytes: try Self.ipBytes($0)[...])) })
            extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
                SubjectKeyIdentifier(hash: publicKey)
            }
        case .client:
            extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.clientAuth])
                SubjectKeyIdentifier(hash: publicKey)
            }
        }
        return try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(Double(days) * 86_400),
            issuer: certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: privateKey)
    }

    private static func ipBytes(_ text: String) throws -> [UInt8] {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        throw CertificateFileError(path: text, reason: "not an IP address")
    }
}

/// A certificate or key file that could not be read or written.
public struct CertificateFileError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}
