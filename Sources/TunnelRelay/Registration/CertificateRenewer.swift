import Foundation
import X509

/// Renews a connected device's certificate: its agent, authenticated by its current
/// certificate on the control connection, sends a request for a new key it made; the relay
/// signs it with the device CA and offers it in the store. The new certificate is accepted
/// next to the old one until the agent has installed it; then the old one is refused.
public struct CertificateRenewer: Sendable {
    public let credentials: RelayCredentials
    public let store: any RelayStore

    public init(credentials: RelayCredentials, store: any RelayStore) {
        self.credentials = credentials
        self.store = store
    }

    /// Why a renewal was refused, in words the agent logs.
    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
    }

    /// The new certificate for `deviceID`, issued from `requestDER` and offered in the store.
    public func renew(deviceID: String, requestDER: [UInt8], now: Date = Date()) async throws -> Certificate {
        let request: CertificateSigningRequest
        do {
            request = try CertificateSigningRequest(derEncoded: requestDER)
        } catch {
            throw Refusal(description: "the certificate signing request is not valid DER (\(error))")
        }
        let checked: DeviceCertificateRequest
        do {
            checked = try DeviceCertificateRequest(request, deviceID: deviceID)
        } catch {
            throw Refusal(description: "the certificate signing request: \(error)")
        }
        let certificate = try credentials.issueDeviceCertificate(
            deviceID: deviceID, publicKey: checked.publicKey, days: DeviceRegistrar.certificateDays, now: now)
        do {
            try await store.offerCertificate(deviceID: deviceID, serial: "\(certificate.serialNumber)", at: now, by: "renewal")
        } catch StoreError.deviceNotFound {
            throw Refusal(description: "device \(deviceID) is not registered, or is revoked")
        }
        return certificate
    }
}
