import Foundation
import Logging
import NIOCore
import SharedWire
import SwiftASN1

/// The relay's side of certificate renewal on one agent control connection: at most one
/// request per `spacing`, each answered on the connection with a certificate from
/// `CertificateRenewer` or a refusal that says why; the connection stays up either way.
struct CertificateRenewalDesk {
    /// The shortest time between two certificate requests of one control connection.
    static let spacing = TimeAmount.seconds(10)

    private let renewer: CertificateRenewer
    private let writes: StoreWrites
    /// When this connection last asked.
    private var lastRequest: NIODeadline?

    init(renewer: CertificateRenewer, writes: StoreWrites) {
        self.renewer = renewer
        self.writes = writes
    }

    /// Answers `request` (a DER signing request from `deviceID`'s agent) on `channel`.
    mutating func answer(_ request: [UInt8], deviceID: String, on channel: any Channel, now: NIODeadline, logger: Logger) {
        if let lastRequest, now - lastRequest < Self.spacing {
            let refusal = TunnelMessage.CertificateAnswer.refused(
                .certificateRefused, "one certificate request per \(Self.spacing.nanoseconds / 1_000_000_000) s; try later")
            return channel.writeAndFlush(TunnelMessage.certificate(refusal), promise: nil)
        }
        lastRequest = now
        let renewer = self.renewer
        channel.eventLoop.makeFutureWithTask { () -> TunnelMessage.CertificateAnswer in
            do {
                let certificate = try await renewer.renew(deviceID: deviceID, requestDER: request)
                var serializer = DER.Serializer()
                try serializer.serialize(certificate)
                logger.notice("Certificate issued for renewal", metadata: ["serial": "\(certificate.serialNumber)"])
                return TunnelMessage.CertificateAnswer(certificate: serializer.serializedBytes)
            } catch {
                logger.warning("Certificate renewal refused", metadata: ["error": "\(error)"])
                return .refused(.certificateRefused, "\(error)")
            }
        }.whenSuccess { answer in
            guard channel.isActive else { return }
            channel.writeAndFlush(TunnelMessage.certificate(answer), promise: nil)
        }
    }

    /// Makes the renewed certificate `serial` the device's current one, when it is the one on
    /// offer: the agent said it installed it, or connected with it.
    func promote(deviceID: String, serial: String, logger: Logger) {
        let store = renewer.store
        let at = Date()
        writes.enqueue(key: "device:\(deviceID)", "Certificate promotion") {
            if try await store.promoteCertificate(deviceID: deviceID, serial: serial, at: at, by: "renewal") {
                logger.notice("Renewed certificate in use; the previous one is retired", metadata: ["serial": "\(serial)"])
            }
        }
    }
}
