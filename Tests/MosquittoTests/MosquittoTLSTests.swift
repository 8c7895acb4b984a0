import Foundation
import Mosquitto
import TestSupport
import TunnelHarness
import XCTest

/// MQTT over TLS with minted certificates; the TLS 1.2 minimum against real servers.
final class MosquittoTLSTests: XCTestCase {
    func testAClientWithTheCAAndItsCertificateCarriesMessages() async throws {
        let broker = try await startBroker(.init(tls: true, requireClientCertificate: true))
        let files = try XCTUnwrap(broker.certificates)
        let client = try MosquittoClient(
            options: .init(
                port: broker.port,
                tls: .init(caFile: files.caPath, certificateFile: files.clientCertificatePath, keyFile: files.clientKeyPath)))
        let log = EventLog.recording(client)
        try client.start()
        try await log.next("CONNACK 0 over TLS") { $0.isAccepted }
        let subscription = try client.subscribe("v1/devices/me/rpc/request/+")
        try await log.next("SUBACK") { $0 == .subscribed(messageID: subscription, grantedQoS: [1]) }
        let payload = Array(#"{"method":"ping","params":{}}"#.utf8)
        try client.publish(topic: "v1/devices/me/rpc/request/42", payload: payload)
        try await log.next("the message over TLS") { $0 == .message(topic: "v1/devices/me/rpc/request/42", payload: payload) }
        client.stop()
    }

    func testAClientTrustingAnotherCANeverConnectsAndSaysWhy() async throws {
        let broker = try await startBroker(.init(tls: true))
        let stranger = try MosquittoBroker.TLSFiles.mint(into: broker.directory + "/stranger")
        let client = try MosquittoClient(
            options: .init(
                port: broker.port, tls: .init(caFile: stranger.caPath), reconnectDelayMin: 1, reconnectDelayMax: 1))
        let log = EventLog.recording(client)
        try client.start()
        try await log.next("the OpenSSL reason") {
            if case .failure(let message) = $0 { message.contains("certificate verify failed") } else { false }
        }
        try await log.expectNone("CONNACK", for: .seconds(2)) { if case .connected = $0 { true } else { false } }
        client.stop()
    }

    func testAClientWithoutACertificateIsRefusedWhenTheBrokerRequiresOne() async throws {
        let broker = try await startBroker(.init(tls: true, requireClientCertificate: true))
        let files = try XCTUnwrap(broker.certificates)
        let client = try MosquittoClient(options: .init(port: broker.port, tls: .init(caFile: files.caPath)))
        let log = EventLog.recording(client)
        try client.start()
        try await log.expectNone("CONNACK 0", for: .seconds(2)) { $0.isAccepted }
        client.stop()
    }

    func testTheTLS12MinimumStillConnectsToATLS13OnlyBroker() async throws {
        let broker = try await startBroker(.init(tls: true, tlsVersion: "tlsv1.3"))
        let files = try XCTUnwrap(broker.certificates)
        let client = try MosquittoClient(options: .init(port: broker.port, tls: .init(caFile: files.caPath)))
        let log = EventLog.recording(client)
        try client.start()
        try await log.next("CONNACK 0 over TLS 1.3") { $0.isAccepted }
        client.stop()
    }

    /// mosquitto itself will not serve TLS 1.1 any more, so `openssl s_server -tls1_1` plays the
    /// old server: the client must not offer 1.1, so the server finds no common version.
    func testTheTLS12MinimumRefusesATLS11OnlyServer() async throws {
        guard let openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first(where: FileManager.default.isExecutableFile)
        else { throw missingPeer("no openssl to play a TLS 1.1 server (Debian package openssl)") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls11-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try MosquittoBroker.TLSFiles.mint(into: directory)
        let port = try MosquittoBroker.freeLoopbackPort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: openssl)
        server.arguments = [
            "s_server", "-accept", "\(port)", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0",
            "-cert", files.serverCertificatePath, "-key", files.serverKeyPath,
        ]
        let output = Pipe()
        let input = Pipe()  // s_server quits at end of stdin: keep it open
        server.standardOutput = output
        server.standardError = output
        server.standardInput = input
        try server.run()
        defer { stopServer(server) }
        let deadline = Date().addingTimeInterval(5)
        while !MosquittoBroker.acceptsConnections(port: port) && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }

        let client = try MosquittoClient(options: .init(port: port, tls: .init(caFile: files.caPath)))
        let log = EventLog.recording(client)
        try client.start()
        try await log.next("the OpenSSL reason") {
            if case .failure(let message) = $0 { message.contains("protocol version") } else { false }
        }
        client.stop()
        stopServer(server)
        let serverSaid = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(serverSaid.contains("unsupported protocol"), serverSaid)
    }

    /// SIGKILL: a child spawned from a Swift concurrency thread inherits its blocked SIGTERM.
    private func stopServer(_ server: Process) {
        guard server.isRunning else { return }
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
    }
}
