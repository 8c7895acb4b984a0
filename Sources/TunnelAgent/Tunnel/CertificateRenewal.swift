import Crypto
import Foundation
import Logging
import NIOCore
import SharedWire
import SwiftASN1
import TunnelPKI
import TunnelTransport
import X509

/// Keeps the device certificate fresh over the control connection, without a reconnect: when
/// the certificate is within `tunnel.renew_before_days` of expiry (checked at every connect
/// and hourly), or when the relay asks, the agent makes a new P-256 key, sends a signing
/// request for it, writes the certificate it gets back durably with the key, dials with them
/// from then on, and tells the relay, which then retires the old certificate. The control
/// connection and the sessions running over their own connections stay up throughout.
public final class CertificateRenewal: Sendable {
    /// What one control connection's renewal reacts to.
    enum Event: Sendable {
        /// Time to look at the expiry.
        case check
        /// The relay asked for a renewal now.
        case requested(String)
        /// The relay's answer to the request sent.
        case answer(TunnelMessage.CertificateAnswer)
    }

    private let identity: DeviceIdentity
    private let dialer: TunnelDialer
    private let renewBeforeDays: Int
    /// Where the certificate in use is reported (`agent.status`).
    private let facts: AgentFacts?
    private let logger: Logger
    static let checkInterval = Duration.seconds(3_600)

    public init(identity: DeviceIdentity, dialer: TunnelDialer, renewBeforeDays: Int, facts: AgentFacts? = nil, logger: Logger) {
        self.identity = identity
        self.facts = facts
        Self.report(identity.credential.certificate, to: facts)
        self.dialer = dialer
        self.renewBeforeDays = renewBeforeDays
        self.logger = logger
    }

    /// Serves one control connection until `events` ends (the connection closed).
    func serve(_ channel: any Channel, events: AsyncStream<Event>, continuation: AsyncStream<Event>.Continuation) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    continuation.yield(.check)
                    try? await Task.sleep(for: Self.checkInterval)
                }
            }
            var rules = CertificateRenewalRules(renewBeforeDays: renewBeforeDays)
            var key: Certificate.PrivateKey?
            for await event in events {
                let action: CertificateRenewalRules.Action
                switch event {
                case .check:
                    let now = Date()
                    if rules.abandonUnanswered(now: now) {
                        logger.warning("Certificate request unanswered; the relay may not renew certificates")
                    }
                    action = rules.check(notAfter: identity.credential.certificate.notValidAfter, now: now)
                case .requested(let reason):
                    action = rules.relayAsked(reason, now: Date())
                case .answer(let answer):
                    action = rules.answered()
                    if action == .install, let key { install(answer, key: key, on: channel) }
                }
                switch action {
                case .request(let reason):
                    key = request(on: channel, because: reason)
                    if key == nil { rules.requestFailed() }
                case .discard:
                    logger.warning("Certificate answer without a request, ignored")
                case .install, .none:
                    break
                }
            }
            group.cancelAll()
        }
    }

    /// Sends a signing request for a new key; the key, to pair with the answer.
    private func request(on channel: any Channel, because reason: String) -> Certificate.PrivateKey? {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        do {
            let request = try CertificateSigningRequest(
                version: .v1, subject: try DistinguishedName { CommonName(identity.deviceID) }, privateKey: key,
                attributes: .init(), signatureAlgorithm: .ecdsaWithSHA256)
            var serializer = DER.Serializer()
            try serializer.serialize(request)
            channel.writeAndFlush(TunnelMessage.renewCertificate(serializer.serializedBytes), promise: nil)
            logger.notice(
                "Renewing the device certificate",
                metadata: [
                    "reason": "\(reason)", "not_after": "\(identity.credential.certificate.notValidAfter)",
                ])
            return key
        } catch {
            logger.error("Certificate request not made", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Checks the relay's answer against the request, then writes, uses and reports the new pair.
    private func install(_ answer: TunnelMessage.CertificateAnswer, key: Certificate.PrivateKey, on channel: any Channel) {
        guard answer.code == .normal else {
            logger.warning("Certificate renewal refused; the current certificate stays", metadata: ["reason": "\(answer.message)"])
            return
        }
        do {
            let certificate = try Certificate(derEncoded: answer.certificate)
            let current = identity.credential.certificate
            guard certificate.publicKey == key.publicKey, certificate.commonName == current.commonName,
                certificate.issuer == current.issuer
            else {
                logger.error("The relay's certificate does not match the request; the current certificate stays")
                return
            }
            dialer.replaceTLS(try identity.install(certificate, key: key))
            Self.report(certificate, to: facts)
            channel.writeAndFlush(TunnelMessage.certificateInstalled("\(certificate.serialNumber)"), promise: nil)
            logger.notice(
                "Device certificate renewed",
                metadata: [
                    "serial": "\(certificate.serialNumber)", "not_after": "\(certificate.notValidAfter)", "file": "\(identity.renewedPath)",
                ])
        } catch {
            logger.error("Renewed certificate not installed; the current certificate stays", metadata: ["error": "\(error)"])
        }
    }

    private static func report(_ certificate: Certificate, to facts: AgentFacts?) {
        facts?.update {
            $0.certificateSerial = "\(certificate.serialNumber)"
            $0.certificateNotAfter = certificate.notValidAfter
        }
    }
}
