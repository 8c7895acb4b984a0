import Crypto
import Foundation
import NIOCore
import NIOSSL
import SharedWire
import TunnelHarness
import TunnelPKI
import TunnelRelay
import TunnelTransport
import X509
import XCTest

/// Who may use the relay: one-time session tokens, device certificates, TLS versions.
final class AuthenticationTests: XCTestCase {
    private var deployment: LocalDeployment!
    private var bms: SerialEnd!

    override func setUp() async throws {
        deployment = try await LocalDeployment.start(devices: ["pack-1", "pack-2"])
        bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)
    }

    override func tearDown() async throws {
        await bms.close()
        await deployment.stop()
    }

    func testSessionTokenWorksOnce() async throws {
        let token = try await deployment.openSession(deviceID: "pack-1")
        let first = MessageCollector()
        let (channel, welcome) = try await deployment.dialClient(credential: "\(token)") { first }
        XCTAssertEqual(welcome.identity, token.sessionID)
        try await first.waitUntilConnected()

        let refusal = await refusalOf(credential: "\(token)")
        XCTAssertEqual(refusal?.code, .tokenUsed)
        XCTAssertEqual(refusal?.message.contains("already used"), true, "the refusal says why: \(String(describing: refusal))")
        try await channel.close()
    }

    func testExpiredUnknownAndMalformedTokensAreRefusedWithClearErrors() async throws {
        let expired = try await deployment.openSession(deviceID: "pack-1", ttl: 0.05)
        try await Task.sleep(for: .milliseconds(120))
        let expiredRefusal = await refusalOf(credential: "\(expired)")
        XCTAssertEqual(expiredRefusal?.code, .tokenExpired)
        XCTAssertEqual(expiredRefusal?.message.contains("expired"), true)

        let unknownRefusal = await refusalOf(credential: "\(SessionToken.generate())")
        XCTAssertEqual(unknownRefusal?.code, .tokenUnknown)

        let real = try await deployment.openSession(deviceID: "pack-1")
        let wrongSecret = SessionToken(sessionID: real.sessionID, secret: "not-the-secret")
        let wrongSecretRefusal = await refusalOf(credential: "\(wrongSecret)")
        XCTAssertEqual(wrongSecretRefusal?.code, .tokenUnknown)

        let malformed = await refusalOf(credential: "hello")
        XCTAssertEqual(malformed?.code, .tokenUnknown)
        XCTAssertEqual(malformed?.message.contains("st1."), true, "names the expected form: \(String(describing: malformed))")

        // The refused attempts did not burn the real token.
        let collector = MessageCollector()
        let (channel, _) = try await deployment.dialClient(credential: "\(real)") { collector }
        try await collector.waitUntilConnected()
        try await channel.close()
    }

    func testAgentWithCertificateFromAnotherCAIsRefused() async throws {
        let rogueCA = try CertificateAuthority.create(commonName: "Rogue CA")
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let certificate = try rogueCA.issue(commonName: "pack-2", publicKey: key.publicKey, purpose: .client, days: 1)
        let serverCA = try PEMFiles.certificates(at: RelayCredentials(dataDirectory: deployment.directory).serverCAPath)
        let tls = try NIOSSLContext(
            configuration: TLSPolicy.client(
                trustedCA: serverCA,
                chain: [try NIOSSLCertificate(bytes: Array(try certificate.serializeAsPEM().pemString.utf8), format: .pem)],
                key: try NIOSSLPrivateKey(bytes: Array(try key.serializeAsPEM().pemString.utf8), format: .pem)))
        let dialer = TunnelDialer(relay: deployment.relayAddress, tls: tls)
        do {
            _ = try await dialer.dial(
                on: deployment.clientGroup.next(), hello: .init(role: .agentControl, software: "rogue"),
                makeHandler: { MessageCollector() }
            ).get()
            XCTFail("a certificate from another CA must not get in")
        } catch {
            XCTAssertFalse(error is RelayRefusal, "refused during the TLS handshake, before HELLO: \(error)")
        }
        XCTAssertNil(deployment.relay.agents.entry(deviceID: "pack-2"))
    }

    func testUnregisteredRevokedAndCertificatelessAgentsAreRefused() async throws {
        let credentials = RelayCredentials(dataDirectory: deployment.directory)
        _ = try credentials.issueDeviceBundle(deviceID: "ghost", into: deployment.directory + "/agents/ghost")
        let ghost = await agentRefusal(deviceID: "ghost")
        XCTAssertEqual(ghost?.code, .deviceUnknown)

        try await deployment.store.revokeDevice(id: "pack-2", at: Date())
        let revoked = await agentRefusal(deviceID: "pack-2")
        XCTAssertEqual(revoked?.code, .deviceRevoked)

        let dialer = TunnelDialer(relay: deployment.relayAddress, tls: try deployment.clientTLS())
        do {
            _ = try await dialer.dial(
                on: deployment.clientGroup.next(), hello: .init(role: .agentControl, software: "no-cert"),
                makeHandler: { MessageCollector() }
            ).get()
            XCTFail("an agent without a certificate must be refused")
        } catch let refusal as RelayRefusal {
            XCTAssertEqual(refusal.code, .authenticationFailed)
        }
    }

    func testTLS10And11AreRefusedWhileTLS12And13Work() async throws {
        let serverCA = try PEMFiles.certificates(at: RelayCredentials(dataDirectory: deployment.directory).serverCAPath)
        for (version, shouldConnect) in [(TLSVersion.tlsv1, false), (.tlsv11, false), (.tlsv12, true), (.tlsv13, true)] {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = .certificates(serverCA)
            configuration.minimumTLSVersion = version
            configuration.maximumTLSVersion = version
            let dialer = TunnelDialer(relay: deployment.relayAddress, tls: try NIOSSLContext(configuration: configuration))
            do {
                _ = try await dialer.dial(
                    on: deployment.clientGroup.next(), hello: .init(role: .client, software: "tls", credential: "st1.x.y"),
                    makeHandler: { MessageCollector() }
                ).get()
                XCTFail("\(version): the bogus token must be refused")
            } catch let refusal as RelayRefusal {
                // The relay read our HELLO: TLS was established.
                XCTAssertTrue(shouldConnect, "\(version) must not complete a handshake, but got \(refusal)")
                XCTAssertEqual(refusal.code, .tokenUnknown)
            } catch {
                XCTAssertFalse(shouldConnect, "\(version) must work, failed with \(error)")
            }
        }
    }

    private func refusalOf(credential: String) async -> RelayRefusal? {
        do {
            let (channel, _) = try await deployment.dialClient(credential: credential) { MessageCollector() }
            try? await channel.close()
            return nil
        } catch {
            return error as? RelayRefusal
        }
    }

    private func agentRefusal(deviceID: String) async -> RelayRefusal? {
        do {
            let dialer = TunnelDialer(relay: deployment.relayAddress, tls: try deployment.clientTLS(deviceID: deviceID))
            let (channel, _) = try await dialer.dial(
                on: deployment.clientGroup.next(), hello: .init(role: .agentControl, software: "test"),
                makeHandler: { MessageCollector() }
            ).get()
            try? await channel.close()
            return nil
        } catch {
            return error as? RelayRefusal
        }
    }
}

/// Only the certificate the relay issued last for a device opens the door.
final class CertificateCurrencyTests: XCTestCase {
    func testAnOlderCertificateOfTheSameDeviceIsRefused() async throws {
        let deployment = try await LocalDeployment.start()
        // A second certificate for pack-1 that the store does not record (as after a reset
        // and a new registration, the previous certificate stays valid for TLS but is stale).
        let stale = deployment.directory + "/agents/pack-1-stale"
        _ = try RelayCredentials(dataDirectory: deployment.directory).issueDeviceBundle(deviceID: "pack-1", into: stale)
        let bundle = RelayCredentials.Bundle(directory: stale)
        let tls = try NIOSSLContext(
            configuration: TLSPolicy.client(
                trustedCA: try PEMFiles.certificates(at: RelayCredentials(dataDirectory: deployment.directory).serverCAPath),
                chain: try PEMFiles.certificates(at: bundle.certificatePath), key: try PEMFiles.privateKey(at: bundle.keyPath)))
        do {
            _ = try await TunnelDialer(relay: deployment.relayAddress, tls: tls).dial(
                on: deployment.clientGroup.next(), hello: .init(role: .agentControl, software: "stale"),
                makeHandler: { MessageCollector() }
            ).get()
            XCTFail("a stale certificate must be refused")
        } catch let refusal as RelayRefusal {
            XCTAssertEqual(refusal.code, .authenticationFailed)
            XCTAssertTrue(refusal.message.contains("not its current one"), refusal.message)
        }
        // The current certificate still works.
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)
        await bms.close()
        await deployment.stop()
    }
}
