import NIOCore
import NIOSSL
import SharedWire
import TunnelPKI
import X509

/// Who an agent is: the device ID (the common name of its verified client certificate) and
/// the certificate's serial number, as the store records it.
struct AgentCertificateIdentity {
    let deviceID: String
    let serial: String

    /// Read from the TLS handler of `pipeline`; throws, with the reason, when there is no
    /// certificate or its common name is not a device ID.
    init(of pipeline: ChannelPipeline.SynchronousOperations) throws {
        let tls = try pipeline.handler(type: NIOSSLServerHandler.self)
        guard let peer = tls.peerCertificate else {
            throw TunnelProtocolError(.authenticationFailed, "agents must present a client certificate from the relay's device CA")
        }
        let certificate = try Certificate(derEncoded: try peer.toDERBytes())
        guard let name = certificate.commonName, !name.isEmpty else {
            throw TunnelProtocolError(.authenticationFailed, "the client certificate has no common name")
        }
        try TunnelIdentifier.check(name, field: "the client certificate's common name (device ID)")
        deviceID = name
        serial = "\(certificate.serialNumber)"
    }
}
