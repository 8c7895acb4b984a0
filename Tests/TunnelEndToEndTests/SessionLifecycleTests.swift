import Foundation
import NIOCore
import SharedWire
import TunnelHarness
import XCTest

/// How sessions end and what each side is told; the agent finding its way back to a relay.
final class SessionLifecycleTests: XCTestCase {
    func testClientDisconnectEndsSessionAndReleasesTheSerialPort() async throws {
        let deployment = try await LocalDeployment.start()
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        let agent = try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)

        let first = try await deployment.openSession(deviceID: "pack-1")
        let firstClient = MessageCollector()
        let (channel, _) = try await deployment.dialClient(credential: "\(first)") { firstClient }
        try await firstClient.waitUntilConnected()
        // The agent files the session just after the relay is told, so the count can lag a moment.
        try await waitUntil("the agent runs the session") { agent.sessions.count == 1 }

        try await channel.close()
        try await waitUntil("the agent ended the session") { agent.sessions.count == 0 }
        try await waitUntil("the relay recorded the session's end") {
            try await deployment.store.session(id: first.sessionID)?.ending != nil
        }

        // The port was released: a new session opens it and carries bytes.
        let second = try await deployment.openSession(deviceID: "pack-1")
        let secondClient = MessageCollector()
        let (secondChannel, _) = try await deployment.dialClient(credential: "\(second)") { secondClient }
        try await secondClient.waitUntilConnected()
        try await bms.write("CV1,0000187B,FF83,,,,,,,,,C4\r\n")
        try await waitUntil("the second session carries BMS bytes") { secondClient.serialBytes.count == 30 }

        try await secondChannel.close()
        await bms.close()
        await deployment.stop()
    }

    func testAgentGoingAwayEndsTheClientWithAClearMessage() async throws {
        let deployment = try await LocalDeployment.start()
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        let agent = try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)
        let token = try await deployment.openSession(deviceID: "pack-1")
        let client = MessageCollector()
        _ = try await deployment.dialClient(credential: "\(token)") { client }
        try await client.waitUntilConnected()

        await agent.stop()
        try await client.waitUntilClosed()
        XCTAssertEqual(client.goingAway?.code, .agentLost)
        XCTAssertEqual(client.goingAway?.message.contains("agent"), true, "\(String(describing: client.goingAway))")
        try await waitUntil("the session's end is recorded") {
            try await deployment.store.session(id: token.sessionID)?.ending != nil
        }

        await bms.close()
        await deployment.stop()
    }

    func testSessionForAnOfflineAgentEndsWhenItDoesNotAnswer() async throws {
        let deployment = try await LocalDeployment.start(sessionSetupTimeout: .milliseconds(300))
        let token = try await deployment.openSession(deviceID: "pack-1")
        let client = MessageCollector()
        _ = try await deployment.dialClient(credential: "\(token)") { client }
        try await waitUntil("the client is told it waits for the agent") {
            client.messages.contains { if case .sessionStatus(let s) = $0 { s.state == .waitingForAgent } else { false } }
        }
        try await client.waitUntilClosed()
        XCTAssertEqual(client.goingAway?.code, .agentOffline)
        await deployment.stop()
    }

    func testAgentReconnectsByItselfAfterRelayRestart() async throws {
        let deployment = try await LocalDeployment.start()
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath, reconnectMax: 0.5)

        try await deployment.restartRelay()
        try await waitUntil("the agent is back on the restarted relay") {
            deployment.relay.agents.entry(deviceID: "pack-1") != nil
        }

        let token = try await deployment.openSession(deviceID: "pack-1")
        let client = MessageCollector()
        let (channel, _) = try await deployment.dialClient(credential: "\(token)") { client }
        try await client.waitUntilConnected()
        try await channel.writeAndFlush(TunnelMessage.serialData(ByteBuffer(string: "BV1,?,4F\r\n")))
        let received = try await bms.collector.wait(forCount: 10)
        XCTAssertEqual(String(decoding: received, as: UTF8.self), "BV1,?,4F\r\n")

        try await channel.close()
        await bms.close()
        await deployment.stop()
    }
}

/// A serial device that disappears mid-session.
final class SerialDeviceLossTests: XCTestCase {
    func testSerialDeviceGoneEndsTheSessionWithThatReasonAndTheAgentCarriesOn() async throws {
        let deployment = try await LocalDeployment.start()
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        let agent = try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)
        let client = MessageCollector()
        _ = try await deployment.dialClient(credential: "\(try await deployment.openSession(deviceID: "pack-1"))") { client }
        try await client.waitUntilConnected()

        await bms.close()  // the adapter is unplugged: the PTY goes away under the agent
        try await client.waitUntilClosed()
        XCTAssertEqual(client.goingAway?.code, .agentLost)
        XCTAssertTrue(client.goingAway?.message.contains("serial port") == true, "\(String(describing: client.goingAway))")
        try await waitUntil("the agent ended the session") { agent.sessions.count == 0 }
        XCTAssertNotNil(deployment.relay.agents.entry(deviceID: "pack-1"), "the agent itself stays connected")
        await deployment.stop()
    }
}
