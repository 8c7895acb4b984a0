import Crypto
import Foundation
import X509
import _CryptoExtras

/// The relay's certificate files in its data directory, and how they are made.
///
/// ```
/// <data>/tls/server-ca.pem, server-ca-key.pem   signs the relay's server certificate
/// <data>/tls/device-ca.pem, device-ca-key.pem   signs device client certificates
/// <data>/tls/server.pem, server-key.pem         the relay's TLS certificate and key
/// ```
public struct RelayCredentials: Sendable {
    public let directory: String

    public init(dataDirectory: String) {
        self.directory = (dataDirectory as NSString).appendingPathComponent("tls")
    }

    public var serverCAPath: String { path("server-ca.pem") }
    public var deviceCAPath: String { path("device-ca.pem") }
    public var serverCertificatePath: String { path("server.pem") }
    public var serverKeyPath: String { path("server-key.pem") }

    /// True when `init` already ran here.
    public var exist: Bool { FileManager.default.fileExists(atPath: serverCertificatePath) }

    /// The kind of key the relay's TLS certificate carries.
    public enum ServerKeyType: String, Sendable, CaseIterable {
        /// P-256: fast handshakes; AEAD suites and TLS 1.3.
        case ecdsa
        /// RSA 2048: also lets TLS 1.2 peers of the vendor's hardware generation use
        /// `ECDHE-RSA-AES256-SHA`; handshakes cost more CPU.
        case rsa
    }

    /// Creates both CAs and the server certificate for `hostnames` (DNS names and IP addresses).
    public func create(hostnames: [String], serverKeyType: ServerKeyType = .ecdsa, now: Date = Date()) throws {
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let serverCA = try CertificateAuthority.create(commonName: "BMS Tunnel Relay Server CA", now: now)
        let deviceCA = try CertificateAuthority.create(commonName: "BMS Tunnel Device CA", now: now)
        let (server, serverKey) = try Self.issueServerCertificate(under: serverCA, hostnames: hostnames, keyType: serverKeyType, now: now)
        try write(serverCA, certificate: "server-ca.pem", key: "server-ca-key.pem")
        try write(deviceCA, certificate: "device-ca.pem", key: "device-ca-key.pem")
        try writePEM(try server.serializeAsPEM().pemString, to: "server.pem", private: false)
        try writePEM(try serverKey.serializeAsPEM().pemString, to: "server-key.pem", private: true)
        // Every secret a node needs is made here, so that a copy of this folder is a whole node's.
        try? FileManager.default.removeItem(atPath: provisioningKeyPath)
        _ = try provisioningKey()
    }

    /// Issues a new server certificate (and key) for `hostnames` under the existing server CA,
    /// replacing the old one: agents and clients keep trusting the relay, and a running relay
    /// takes it on SIGHUP.
    public func renewServerCertificate(hostnames: [String], serverKeyType: ServerKeyType = .ecdsa, now: Date = Date()) throws {
        let serverCA = try loadAuthority(certificate: "server-ca.pem", key: "server-ca-key.pem")
        let (server, serverKey) = try Self.issueServerCertificate(under: serverCA, hostnames: hostnames, keyType: serverKeyType, now: now)
        // Each file is replaced whole; a reload that catches a key without its certificate fails and keeps the old context.
        try replacePEM(try serverKey.serializeAsPEM().pemString, name: "server-key.pem", private: true)
        try replacePEM(try server.serializeAsPEM().pemString, name: "server.pem", private: false)
    }

    /// A new server key and its certificate for `hostnames` (DNS names and IP addresses), valid 825 days.
    private static func issueServerCertificate(
        under serverCA: CertificateAuthority, hostnames: [String], keyType: ServerKeyType, now: Date
    ) throws -> (Certificate, Certificate.PrivateKey) {
        let key =
            switch keyType {
            case .ecdsa: Certificate.PrivateKey(P256.Signing.PrivateKey())
            case .rsa: Certificate.PrivateKey(try _RSA.Signing.PrivateKey(keySize: .bits2048))
            }
        let isIP: (String) -> Bool = { $0.contains(":") || $0.allSatisfy { $0.isNumber || $0 == "." } }
        let certificate = try serverCA.issue(
            commonName: hostnames.first ?? "localhost", publicKey: key.publicKey,
            purpose: .server(dnsNames: hostnames.filter { !isIP($0) }, ipAddresses: hostnames.filter(isIP)),
            days: 825, now: now)
        return (certificate, key)
    }

    private func replacePEM(_ text: String, name: String, private isPrivate: Bool) throws {
        let temporary = path(name + ".new")
        try FileManager.default.removeItemIfPresent(atPath: temporary)
        try Self.write(text, to: temporary, private: isPrivate)
        guard rename(temporary, path(name)) == 0 else {
            throw CertificateFileError(path: path(name), reason: "cannot replace it: \(String(cString: strerror(errno)))")
        }
    }

    /// Issues a device certificate and writes the bundle an agent needs into `bundleDirectory`:
    /// `device.pem`, `device-key.pem` and `relay-ca.pem`.
    public func issueDeviceBundle(deviceID: String, into bundleDirectory: String, days: Int = 1_825) throws -> Certificate {
        let deviceCA = try loadAuthority(certificate: "device-ca.pem", key: "device-ca-key.pem")
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let certificate = try deviceCA.issue(
            commonName: deviceID, publicKey: key.publicKey, purpose: .client, days: days)
        try FileManager.default.createDirectory(
            atPath: bundleDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let bundle = RelayCredentials.Bundle(directory: bundleDirectory)
        try Self.write(try certificate.serializeAsPEM().pemString, to: bundle.certificatePath, private: false)
        try Self.write(try key.serializeAsPEM().pemString, to: bundle.keyPath, private: true)
        try FileManager.default.removeItemIfPresent(atPath: bundle.caPath)
        try FileManager.default.copyItem(atPath: serverCAPath, toPath: bundle.caPath)
        return certificate
    }

    /// Signs a gateway's own public key (from its certificate signing request) with the device CA.
    public func issueDeviceCertificate(deviceID: String, publicKey: Certificate.PublicKey, days: Int, now: Date = Date()) throws
        -> Certificate
    {
        let deviceCA = try loadAuthority(certificate: "device-ca.pem", key: "device-ca-key.pem")
        return try deviceCA.issue(commonName: deviceID, publicKey: publicKey, purpose: .client, days: days, now: now)
    }

    /// A relay node's certificates for the links between nodes, under the server CA that every
    /// node of a cluster shares: one to serve the node listener with, one to dial the other
    /// nodes with. Valid `days`; made at every start and kept in memory only.
    func issueNodeCertificates(nodeName: String, days: Int = 30, now: Date = Date()) throws
        -> (server: (Certificate, Certificate.PrivateKey), client: (Certificate, Certificate.PrivateKey))
    {
        let serverCA = try loadAuthority(certificate: "server-ca.pem", key: "server-ca-key.pem")
        let serverKey = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let clientKey = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let server = try serverCA.issue(
            commonName: "relay node \(nodeName)", publicKey: serverKey.publicKey, purpose: .server(dnsNames: [], ipAddresses: []),
            days: days, now: now)
        let client = try serverCA.issue(
            commonName: "relay node \(nodeName)", publicKey: clientKey.publicKey, purpose: .client, days: days, now: now)
        return ((server, serverKey), (client, clientKey))
    }

    public var provisioningKeyPath: String { path("provisioning.key") }

    /// The key provisioning secrets are signed with: 32 random bytes, made on first use.
    public func provisioningKey() throws -> SymmetricKey {
        if let data = FileManager.default.contents(atPath: provisioningKeyPath) {
            guard data.count == 32 else {
                throw CertificateFileError(path: provisioningKeyPath, reason: "expected 32 bytes, found \(data.count)")
            }
            return SymmetricKey(data: data)
        }
        let key = SymmetricKey(size: .bits256)
        let created = FileManager.default.createFile(
            atPath: provisioningKeyPath, contents: key.withUnsafeBytes { Data($0) }, attributes: [.posixPermissions: 0o600])
        guard created else { throw CertificateFileError(path: provisioningKeyPath, reason: "cannot write") }
        return key
    }

    /// The files of a device credential bundle.
    public struct Bundle: Sendable {
        public let directory: String
        public init(directory: String) { self.directory = directory }
        public var certificatePath: String { (directory as NSString).appendingPathComponent("device.pem") }
        public var keyPath: String { (directory as NSString).appendingPathComponent("device-key.pem") }
        public var caPath: String { (directory as NSString).appendingPathComponent("relay-ca.pem") }
    }

    private func loadAuthority(certificate: String, key: String) throws -> CertificateAuthority {
        do {
            let cert = try Certificate(pemEncoded: String(contentsOfFile: path(certificate), encoding: .utf8))
            let privateKey = try Certificate.PrivateKey(pemEncoded: String(contentsOfFile: path(key), encoding: .utf8))
            return CertificateAuthority(certificate: cert, privateKey: privateKey)
        } catch {
            throw CertificateFileError(
                path: path(certificate), reason: "cannot load the CA (\(error)); run `tunnel-relay init` first")
        }
    }

    private func write(_ authority: CertificateAuthority, certificate: String, key: String) throws {
        try writePEM(try authority.certificate.serializeAsPEM().pemString, to: certificate, private: false)
        try writePEM(try authority.privateKey.serializeAsPEM().pemString, to: key, private: true)
    }

    private func writePEM(_ text: String, to name: String, private isPrivate: Bool) throws {
        try Self.write(text, to: path(name), private: isPrivate)
    }

    private static func write(_ text: String, to path: String, private isPrivate: Bool) throws {
        let created = FileManager.default.createFile(
            atPath: path, contents: Data((text + "\n").utf8),
            attributes: [.posixPermissions: isPrivate ? 0o600 : 0o644])
        guard created else { throw CertificateFileError(path: path, reason: "cannot write") }
    }

    private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
}

extension FileManager {
    func removeItemIfPresent(atPath path: String) throws {
        if fileExists(atPath: path) { try removeItem(atPath: path) }
    }
}
