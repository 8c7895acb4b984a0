import Crypto
import Foundation
import X509

/// Registers a gateway once: checks its provisioning secret, checks its certificate signing
/// request (signed by the key it names, for the device ID it claims), signs it with the relay's
/// device CA and records the device, whose ID then cannot register again until an administrator
/// resets it. The gateway's private key never leaves it.
public struct DeviceRegistrar: Sendable {
    public let credentials: RelayCredentials
    public let store: any RelayStore
    /// How long an issued device certificate is valid.
    public static let certificateDays = 1_825

    public init(credentials: RelayCredentials, store: any RelayStore) {
        self.credentials = credentials
        self.store = store
    }

    /// What the gateway receives.
    public struct Registered: Sendable {
        public let customer: String
        /// The device certificate (PEM).
        public let certificate: String
        /// The relay's server CA (PEM), which the agent trusts for the tunnel.
        public let relayCA: String
    }

    /// Why a registration was refused; `conflict` when the ID is registered already.
    public struct Refusal: Error, CustomStringConvertible {
        public enum Kind: Sendable { case unauthorized, invalid, conflict }
        public let kind: Kind
        public let description: String
    }

    public func register(deviceID: String, secret: String, csrPEM: String, source: String?, now: Date = Date()) async throws -> Registered {
        let provisioning: ProvisioningSecret
        do {
            provisioning = try ProvisioningSecret.verify(secret, deviceID: deviceID, key: try credentials.provisioningKey(), now: now)
        } catch let refusal as ProvisioningSecret.Refusal {
            try await audit(deviceID, refusal.description, source, now)
            throw Refusal(kind: .unauthorized, description: refusal.description)
        }
        let request: CertificateSigningRequest
        do {
            request = try CertificateSigningRequest(pemEncoded: csrPEM)
        } catch {
            throw Refusal(kind: .invalid, description: "csr: not a PEM certificate signing request (\(error))")
        }
        let checked: DeviceCertificateRequest
        do {
            checked = try DeviceCertificateRequest(request, deviceID: deviceID)
        } catch {
            throw Refusal(kind: .invalid, description: "csr: \(error)")
        }
        try DeviceRecord.validate(id: deviceID)
        let certificate = try credentials.issueDeviceCertificate(
            deviceID: deviceID, publicKey: checked.publicKey, days: Self.certificateDays, now: now)
        do {
            try await store.registerDevice(
                DeviceRegistration(
                    deviceID: deviceID, customer: provisioning.customer, certificateSerial: "\(certificate.serialNumber)", at: now,
                    actor: "registration", source: source))
        } catch StoreError.deviceExists {
            throw Refusal(
                kind: .conflict,
                description: "device \(deviceID) is registered already; an administrator must reset it before it can register again")
        } catch let refusal as StoreError {
            guard case .deviceOfOtherCustomer = refusal else { throw refusal }
            throw Refusal(kind: .conflict, description: refusal.description)
        }
        return Registered(
            customer: provisioning.customer, certificate: try certificate.serializeAsPEM().pemString,
            relayCA: try String(contentsOfFile: credentials.serverCAPath, encoding: .utf8))
    }

    private func audit(_ deviceID: String, _ reason: String, _ source: String?, _ now: Date) async throws {
        try await store.appendAudit(
            AuditEntry(
                at: now, event: .registrationRefused, actor: "registration", deviceID: deviceID, reason: reason, source: source))
    }
}
