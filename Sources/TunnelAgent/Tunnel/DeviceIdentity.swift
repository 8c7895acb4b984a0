import Foundation
import NIOConcurrencyHelpers
import NIOSSL
import SwiftASN1
import TunnelPKI
import X509

/// The agent's identity towards the relay: its device certificate and key. Either the
/// operator's files (`tunnel.cert`, `tunnel.key`) or the pair the agent renewed and keeps in
/// its state folder, whichever certificate was issued later for the same device ID (the
/// renewed one on a tie). A renewal
/// replaces the pair in use without a restart.
public final class DeviceIdentity: Sendable {
    /// A certificate with its key, ready for TLS.
    public struct Credential: Sendable {
        public let certificate: Certificate
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        /// The file the certificate came from.
        public let origin: String
    }

    private let current: NIOLockedValueBox<Credential>
    private let trustedCA: [NIOSSLCertificate]
    /// Where a renewed certificate and its key are kept: one file, so they change together.
    let renewedPath: String

    /// Loads the operator's pair and, when present and newer, the renewed one. A renewed file
    /// that does not load is reported through `problem` and passed over.
    public init(
        certificatePath: String, keyPath: String, caPath: String, renewedPath: String,
        problem: (String) -> Void = { _ in }
    ) throws {
        self.trustedCA = try PEMFiles.certificates(at: caPath)
        self.renewedPath = renewedPath
        let chain = try PEMFiles.certificates(at: certificatePath)
        let configured = Credential(
            certificate: try Self.parse(chain[0], path: certificatePath), chain: chain,
            key: try PEMFiles.privateKey(at: keyPath), origin: certificatePath)
        var chosen = configured
        if FileManager.default.fileExists(atPath: renewedPath) {
            do {
                let renewed = try Self.loadRenewed(at: renewedPath)
                // A certificate the operator installed later (the device registered again) wins;
                // within the same second (X.509 times have no finer grain) the renewed one does.
                if renewed.certificate.commonName == configured.certificate.commonName,
                    renewed.certificate.notValidBefore >= configured.certificate.notValidBefore
                {
                    chosen = renewed
                }
            } catch {
                problem("\(error)")
            }
        }
        self.current = NIOLockedValueBox(chosen)
    }

    /// The credential in use.
    public var credential: Credential { current.withLockedValue { $0 } }

    /// The device ID: the common name of the certificate in use.
    public var deviceID: String { credential.certificate.commonName ?? "" }

    /// A TLS context presenting the credential in use.
    public func tlsContext() throws -> NIOSSLContext {
        let credential = self.credential
        return try NIOSSLContext(configuration: TLSPolicy.client(trustedCA: trustedCA, chain: credential.chain, key: credential.key))
    }

    /// Writes a renewed certificate and its key durably, makes them the credential in use, and
    /// returns the TLS context that presents them.
    func install(_ certificate: Certificate, key: Certificate.PrivateKey) throws -> NIOSSLContext {
        let text = try certificate.serializeAsPEM().pemString + "\n" + key.serializeAsPEM().pemString + "\n"
        try DurableFile.write(Array(text.utf8), to: renewedPath, mode: 0o600)
        let renewed = try Self.loadRenewed(at: renewedPath)
        current.withLockedValue { $0 = renewed }
        return try tlsContext()
    }

    private static func loadRenewed(at path: String) throws -> Credential {
        do {
            let documents = try PEMDocument.parseMultiple(pemString: String(contentsOfFile: path, encoding: .utf8))
            guard let certificate = documents.first(where: { $0.discriminator == "CERTIFICATE" }),
                let key = documents.first(where: { $0.discriminator.hasSuffix("PRIVATE KEY") })
            else {
                throw PEMFiles.LoadError(
                    path: path, what: "a renewed credential", underlying: "a certificate and a private key are expected")
            }
            return Credential(
                certificate: try Certificate(derEncoded: certificate.derBytes),
                chain: [try NIOSSLCertificate(bytes: certificate.derBytes, format: .der)],
                key: try NIOSSLPrivateKey(bytes: key.derBytes, format: .der), origin: path)
        } catch let error as PEMFiles.LoadError {
            throw error
        } catch {
            throw PEMFiles.LoadError(path: path, what: "a renewed credential", underlying: "\(error)")
        }
    }

    private static func parse(_ certificate: NIOSSLCertificate, path: String) throws -> Certificate {
        do {
            return try Certificate(derEncoded: try certificate.toDERBytes())
        } catch {
            throw PEMFiles.LoadError(path: path, what: "the device certificate", underlying: "\(error)")
        }
    }
}
