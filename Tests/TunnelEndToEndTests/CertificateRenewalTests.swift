import Crypto
import Foundation
import NIOCore
import SharedWire
import SwiftASN1
import TunnelHarness
import TunnelPKI
import TunnelRelay
import TunnelTransport
import X509
import XCTest

/// Certificate requests on an agent's control connection, as a hostile or confused agent might
/// send them: each gets a refusal that says why, and the connection stays up.
final class CertificateRenewalTests: XCTestCase {
    private var deployment: LocalDeployment!

    override func setUp() async throws {
        deployment = try await LocalDeployment.start(devices: ["pack-1", "pack-2"])
    }

    override func tearDown() async throws {
        await deployment.stop()
    }

    /// pack-1's control connection, dialled by hand so the test says what the agent says.
    private func controlConnection() async throws -> (any Channel, MessageCollector) {
        let collector = MessageCollector()
        let dialer = TunnelDialer(relay: deployment.relayAddress, tls: try deployment.clientTLS(deviceID: "pack-1"))
        let (channel, _) = try await dialer.dial(
            on: deployment.clientGroup.next(), hello: .init(role: .agentControl, software: "test-agent"), makeHandler: { collector }
        ).get()
        return (channel, collector)
    }

    private func request(commonName: String, key: P256.Signing.PrivateKey = .init()) throws -> [UInt8] {
        let csr = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName(commonName) }, privateKey: .init(key),
            attributes: .init(), signatureAlgorithm: .ecdsaWithSHA256)
        var serializer = DER.Serializer()
        try serializer.serialize(csr)
        return serializer.serializedBytes
    }

    private func answer(_ collector: MessageCollector, number: Int) async throws -> TunnelMessage.CertificateAnswer {
        try await waitUntil("certificate answer \(number)") {
            collector.messages.filter { if case .certificate = $0 { true } else { false } }.count >= number
        }
        let answers = collector.messages.compactMap { message -> TunnelMessage.CertificateAnswer? in
            if case .certificate(let answer) = message { answer } else { nil }
        }
        return answers[number - 1]
    }

    func testARequestForAnotherDeviceIsRefusedAndTheConnectionStays() async throws {
        let (channel, collector) = try await controlConnection()
        try await channel.writeAndFlush(TunnelMessage.renewCertificate(try request(commonName: "pack-2")))
        let refusal = try await answer(collector, number: 1)
        XCTAssertEqual(refusal.code, .certificateRefused)
        XCTAssertTrue(refusal.message.contains("common name must be the device ID pack-1"), refusal.message)
        XCTAssertTrue(refusal.certificate.isEmpty)
        let device = try await deployment.store.device(id: "pack-2")
        XCTAssertEqual(device?.pendingCertificateSerial, "", "nothing was offered to the other device")
        XCTAssertTrue(channel.isActive, "a refused request does not cost the connection")
        try await channel.close()
    }

    func testGarbageIsRefusedThenAGoodRequestIsIssuedAndPromotedOnTheAgentsWord() async throws {
        let (channel, collector) = try await controlConnection()
        try await channel.writeAndFlush(TunnelMessage.renewCertificate([0x30, 0x03, 0x01, 0x02]))
        let garbage = try await answer(collector, number: 1)
        XCTAssertEqual(garbage.code, .certificateRefused)
        XCTAssertTrue(garbage.message.contains("not valid DER"), garbage.message)

        // Within the spacing the next request is refused for that reason alone.
        let key = P256.Signing.PrivateKey()
        try await channel.writeAndFlush(TunnelMessage.renewCertificate(try request(commonName: "pack-1", key: key)))
        let tooSoon = try await answer(collector, number: 2)
        XCTAssertTrue(tooSoon.message.contains("one certificate request per"), tooSoon.message)
        XCTAssertTrue(channel.isActive)
        try await channel.close()

        // A new connection may ask; the certificate certifies the requested key for pack-1.
        let (second, secondCollector) = try await controlConnection()
        try await second.writeAndFlush(TunnelMessage.renewCertificate(try request(commonName: "pack-1", key: key)))
        let issued = try await answer(secondCollector, number: 1)
        XCTAssertEqual(issued.code, .normal, issued.message)
        let certificate = try Certificate(derEncoded: issued.certificate)
        XCTAssertEqual(certificate.commonName, "pack-1")
        XCTAssertEqual(certificate.publicKey, Certificate.PublicKey(key.publicKey))
        let serial = "\(certificate.serialNumber)"
        let offered = try await deployment.store.device(id: "pack-1")
        XCTAssertEqual(offered?.pendingCertificateSerial, serial)
        XCTAssertNotEqual(offered?.certificateSerial, serial, "the old certificate stays current until the agent installed the new one")

        // A word about another serial changes nothing; the right one retires the old certificate.
        try await second.writeAndFlush(TunnelMessage.certificateInstalled("00"))
        try await second.writeAndFlush(TunnelMessage.certificateInstalled(serial))
        let store = deployment.store
        try await waitUntil("the renewed certificate is current") {
            try await store.device(id: "pack-1")?.certificateSerial == serial
        }
        let events = try await deployment.store.auditEntries(AuditQuery(deviceID: "pack-1")).map(\.event)
        XCTAssertEqual(events.filter { $0 == .credentialChanged }.count, 1)
        XCTAssertTrue(second.isActive, "the connection made with the old certificate stays up")
        try await second.close()
    }
}
