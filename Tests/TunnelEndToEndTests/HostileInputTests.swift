import Foundation
import NIOCore
import SharedWire
import TunnelHarness
import XCTest

/// Garbage and malformed frames end the connection that sent them, with an error code,
/// and nothing else.
final class HostileInputTests: XCTestCase {
    func testGarbageAndMalformedFramesEndOnlyTheirConnection() async throws {
        let deployment = try await LocalDeployment.start(devices: ["pack-1", "pack-2", "pack-3"])
        let bms1 = try await SerialEnd.makePTY(group: deployment.clientGroup)
        let bms2 = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms1.devicePath)
        let agent2 = try await deployment.startAgent(deviceID: "pack-2", serialDevice: bms2.devicePath)

        // Session A stays healthy through everything below.
        let tokenA = try await deployment.openSession(deviceID: "pack-1")
        let clientA = MessageCollector()
        let (channelA, _) = try await deployment.dialClient(credential: "\(tokenA)") { clientA }
        try await clientA.waitUntilConnected()

        // 1. Not the protocol at all (an HTTP request over TLS).
        let http = try await RawConnection.open(to: deployment, tls: try deployment.clientTLS())
        try await http.send(Array("GET / HTTP/1.1\r\nHost: relay\r\n\r\n".utf8))
        try await http.messages.waitUntilClosed()
        XCTAssertEqual(http.messages.goingAway?.code, .frameTooLarge, "\(http.messages.messages)")

        // 2. A frame type nobody knows, not marked ignorable, as the first frame.
        let unknown = try await RawConnection.open(to: deployment, tls: try deployment.clientTLS())
        try await unknown.send([0x7E, 0x00, 0, 0, 0, 0])
        try await unknown.messages.waitUntilClosed()
        XCTAssertEqual(unknown.messages.goingAway?.code, .unknownFrameType)

        // 3. An agent (valid certificate) that sends garbage on its control connection.
        let rogueAgent = try await RawConnection.open(to: deployment, tls: try deployment.clientTLS(deviceID: "pack-3"))
        try await rogueAgent.send(.hello(.init(role: .agentControl, software: "rogue")))
        try await waitUntil("the relay welcomed the agent") { !rogueAgent.messages.messages.isEmpty }
        try await rogueAgent.send([0x21, 0x00, 0, 0, 0, 5, 99, 0, 0, 0, 0])  // serial control, unknown operation
        try await rogueAgent.messages.waitUntilClosed()
        XCTAssertEqual(rogueAgent.messages.goingAway?.code, .protocolError)

        // 4. A client that sends a malformed frame in the middle of session B.
        let tokenB = try await deployment.openSession(deviceID: "pack-2")
        let raw = try await RawConnection.open(to: deployment, tls: try deployment.clientTLS())
        try await raw.send(.hello(.init(role: .client, software: "raw", credential: "\(tokenB)")))
        try await raw.messages.waitUntilConnected()
        try await raw.send([0x12, 0x00, 0, 0, 0, 1, 9])  // session status from a client, truncated
        try await raw.messages.waitUntilClosed()
        XCTAssertEqual(raw.messages.goingAway?.code, .protocolError)
        try await waitUntil("session B's agent side ended too") { agent2.sessions.count == 0 }

        // Session A carried on untouched, both ways.
        XCTAssertFalse(clientA.closed)
        try await bms1.write("CV1,0000187B,FF83,,,,,,,,,C4\r\n")
        try await waitUntil("session A still carries BMS bytes") { clientA.serialBytes.count == 30 }
        try await channelA.writeAndFlush(TunnelMessage.serialData(ByteBuffer(string: "CV1,?,78\r\n")))
        let atBMS = try await bms1.collector.wait(forCount: 10)
        XCTAssertEqual(String(decoding: atBMS, as: UTF8.self), "CV1,?,78\r\n")

        try await channelA.close()
        await bms1.close()
        await bms2.close()
        await deployment.stop()
    }

    func testSilentConnectionIsDroppedAfterTheHandshakeTimeout() async throws {
        let deployment = try await LocalDeployment.start(handshakeTimeout: .milliseconds(300))
        let silent = try await RawConnection.open(to: deployment, tls: try deployment.clientTLS())
        try await silent.messages.waitUntilClosed()
        XCTAssertEqual(silent.messages.goingAway?.code, .handshakeTimeout)
        await deployment.stop()
    }
}
