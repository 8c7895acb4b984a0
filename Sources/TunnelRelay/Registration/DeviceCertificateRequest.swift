import X509

/// A device's certificate signing request, checked: signed by the key it carries (so the
/// sender holds that key) and made out to the device ID that asks, and nothing else.
struct DeviceCertificateRequest {
    /// The key the certificate will certify.
    let publicKey: Certificate.PublicKey

    /// What is wrong with a request, in words for the operator and the gateway's log.
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    init(_ request: CertificateSigningRequest, deviceID: String) throws(Problem) {
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw Problem(description: "its signature does not match its public key")
        }
        let names = request.subject.flatMap { $0 }.filter { $0.type == .RDNAttributeType.commonName }.map { "\($0.value)" }
        guard names == [deviceID] else {
            throw Problem(description: "its common name must be the device ID \(deviceID), found \(names)")
        }
        publicKey = request.publicKey
    }
}
