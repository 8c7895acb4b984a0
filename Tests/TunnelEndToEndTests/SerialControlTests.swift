import Foundation
import NIOCore
import NIOPosix
import SharedWire
import TunnelHarness
import TunnelTransport
import XCTest

/// Serial control operations reach the real port, in order with the data, and the answer
/// carries the value in effect; tunnel-connect's TCP endpoint carries the same bytes.
final class SerialControlTests: XCTestCase {
    func testControlOperationsAreAppliedToTheRealPortInOrderWithData() async throws {
        let deployment = try await LocalDeployment.start()
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)
        let token = try await deployment.openSession(deviceID: "pack-1")
        let client = MessageCollector()
        let (channel, _) = try await deployment.dialClient(credential: "\(token)") { client }
        try await client.waitUntilConnected()
        XCTAssertEqual(try bms.pty!.slaveParameters().baudRate, 57_600, "the agent opened the port at serial.speed")

        channel.write(TunnelMessage.serialData(ByteBuffer(string: "before")), promise: nil)
        channel.write(TunnelMessage.serialControl(.setBaudRate(9_600)), promise: nil)
        channel.write(TunnelMessage.serialControl(.setParity(.even)), promise: nil)
        channel.write(TunnelMessage.serialControl(.setStopBits(.two)), promise: nil)
        channel.write(TunnelMessage.serialControl(.setDataBits(7)), promise: nil)
        channel.write(TunnelMessage.serialControl(.setDTR(true)), promise: nil)
        try await channel.writeAndFlush(TunnelMessage.serialData(ByteBuffer(string: "after")))

        let atBMS = try await bms.collector.wait(forCount: 11)
        XCTAssertEqual(String(decoding: atBMS, as: UTF8.self), "beforeafter")
        try await waitUntil("five control results came back") { Self.results(client).count == 5 }
        let results = Self.results(client)
        XCTAssertEqual(results.map(\.operation), [.setBaudRate, .setParity, .setStopBits, .setDataBits, .setDTR], "in order")
        XCTAssertEqual(results[0], SerialControlResult(operation: .setBaudRate, value: 9_600, status: .applied))
        XCTAssertEqual(results[2], SerialControlResult(operation: .setStopBits, value: 2, status: .applied))
        // Linux PTYs refuse parity and other data sizes: the answers carry what is in effect.
        XCTAssertEqual(results[1], SerialControlResult(operation: .setParity, value: 1, status: .unsupported))
        XCTAssertEqual(results[3], SerialControlResult(operation: .setDataBits, value: 8, status: .unsupported))
        XCTAssertEqual(results[4].status, .unsupported, "a PTY has no DTR line, and the answer says so")

        let inEffect = try bms.pty!.slaveParameters()
        XCTAssertEqual(inEffect.baudRate, 9_600, "seen at the BMS's end of the line")
        XCTAssertEqual(inEffect.stopBits, .two)

        try await channel.close()
        await bms.close()
        await deployment.stop()
    }

    func testTCPEndpointCarriesTheSessionAndSurvivesAReconnect() async throws {
        let deployment = try await LocalDeployment.start()
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)
        let token = try await deployment.openSession(deviceID: "pack-1")
        let client = try ConnectClient(deployment: deployment, token: "\(token)", tcp: RelayAddress(host: "127.0.0.1", port: 0))
        try await client.waitUntilConnected()
        let place = try XCTUnwrap(client.localEndpoint)
        let port = try XCTUnwrap(Int(place.split(separator: ":").last ?? ""), place)

        for attempt in 1...2 {
            let panel = ByteCollector()
            let connection = try await ClientBootstrap(group: deployment.clientGroup)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(panel) }
                }
                .connect(host: "127.0.0.1", port: port).get()
            bms.collector.reset()  // before the request leaves: it may reach the BMS before the next line runs
            try await connection.writeAndFlush(ByteBuffer(string: "CV1,?,78\r\n"))
            let request = try await bms.collector.wait(forCount: 10)
            XCTAssertEqual(String(decoding: request, as: UTF8.self), "CV1,?,78\r\n", "attempt \(attempt)")
            try await bms.write("CV1,0000187B,FF83,,,,,,,,,C4\r\n")
            let answer = try await panel.wait(forLines: 1)
            XCTAssertEqual(answer, ["CV1,0000187B,FF83,,,,,,,,,C4"], "attempt \(attempt)")
            try await connection.close()
            try await Task.sleep(for: .milliseconds(50))
        }

        await client.stop()
        await bms.close()
        await deployment.stop()
    }

    func testSilentPeerIsDroppedByKeepalive() async throws {
        let deployment = try await LocalDeployment.start(pingInterval: .milliseconds(100), peerTimeout: .milliseconds(400))
        let token = try await deployment.openSession(deviceID: "pack-1")
        // A raw connection does not answer pings.
        let silent = try await RawConnection.open(to: deployment, tls: try deployment.clientTLS())
        try await silent.send(.hello(.init(role: .client, software: "silent", credential: "\(token)")))
        try await silent.messages.waitUntilClosed()
        XCTAssertTrue(silent.messages.messages.contains(.ping(1)), "the relay pinged first")
        XCTAssertEqual(silent.messages.goingAway?.code, .keepaliveTimeout)
        await deployment.stop()
    }

    private static func results(_ client: MessageCollector) -> [SerialControlResult] {
        client.messages.compactMap { if case .serialControlResult(let r) = $0 { r } else { nil } }
    }
}
