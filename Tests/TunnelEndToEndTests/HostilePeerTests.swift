import Foundation
import NIOCore
import SharedWire
import TunnelHarness
import TunnelRelay
import XCTest

/// Peers that name things they should not, or invent keys: each is refused with a clear code
/// or kept to a bound, and other sessions go on.
final class HostilePeerTests: XCTestCase {
    func testPeerIdentifiersOutsideTheAllowedFormAreRefusedAndNeverBecomePaths() async throws {
        let deployment = try await LocalDeployment.start(captureSessions: true)
        let escape = "escape-\(UUID().uuidString.prefix(8))"
        let parent = URL(fileURLWithPath: deployment.directory).deletingLastPathComponent().path
        let token = try await deployment.openSession(deviceID: "pack-1")  // a session is waiting, as an attacker would want
        let hellos: [(String, TunnelMessage.Hello)] = [
            ("path", .init(role: .agentData, software: "rogue", sessionID: "../../\(escape)")),
            ("overlong", .init(role: .agentData, software: "rogue", sessionID: String(repeating: "a", count: 65))),
            ("non-ASCII", .init(role: .agentData, software: "rogue", sessionID: "sessión")),
            ("dot first", .init(role: .agentData, software: "rogue", sessionID: "..")),
            ("empty", .init(role: .agentData, software: "rogue", sessionID: "")),
            ("control characters in software", .init(role: .agentControl, software: "agent\u{1B}[2J")),
            ("overlong software", .init(role: .client, software: String(repeating: "x", count: 129), credential: "\(token)")),
        ]
        for (what, hello) in hellos {
            let connection = try await RawConnection.open(to: deployment, tls: try deployment.clientTLS(deviceID: "pack-1"))
            try await connection.send(.hello(hello))
            try await connection.messages.waitUntilClosed()
            XCTAssertEqual(connection.messages.goingAway?.code, .invalidIdentifier, what)
            XCTAssertTrue(
                connection.messages.goingAway?.message.contains("A–Z a–z 0–9") == true
                    || connection.messages.goingAway?.message.contains("printable ASCII") == true,
                "\(what): \(String(describing: connection.messages.goingAway))")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: parent + "/\(escape).jsonl"), "no file outside the captures folder")
        let captures = (try? FileManager.default.contentsOfDirectory(atPath: deployment.directory + "/captures")) ?? []
        XCTAssertTrue(captures.isEmpty, "no capture for a refused connection: \(captures)")

        // The waiting session is still there for its real client and agent.
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)
        let client = MessageCollector()
        let (channel, _) = try await deployment.dialClient(credential: "\(token)") { client }
        try await client.waitUntilConnected()
        let named = try FileManager.default.contentsOfDirectory(atPath: deployment.directory + "/captures")
        XCTAssertEqual(named, ["\(token.sessionID).jsonl"], "named after the relay's own session ID")
        try await channel.close()
        await bms.close()
        await deployment.stop()
    }

    func testAnAgentInventingTelemetryKeysIsKeptToTheLimit() async throws {
        let deployment = try await LocalDeployment.start(devices: ["pack-3"])
        let agent = try await RawConnection.open(to: deployment, tls: try deployment.clientTLS(deviceID: "pack-3"))
        try await agent.send(.hello(.init(role: .agentControl, software: "inventive")))
        try await waitUntil("the relay welcomed the agent") { !agent.messages.messages.isEmpty }
        let frames = 20
        let keysPerFrame = 200
        for frame in 0..<frames {
            let values = (0..<keysPerFrame).map { "\"k\(frame)-\($0)\":\($0)" }.joined(separator: ",")
            try await agent.send(.telemetry(ByteBuffer(string: "{\"ts\":\(1_000 + frame),\"values\":{\(values)}}")))
        }
        try await waitUntil("the last record arrived") {
            deployment.relay.telemetry.snapshot(deviceID: "pack-3")?.values["k\(frames - 1)-0"] != nil
        }
        let kept = try XCTUnwrap(deployment.relay.telemetry.snapshot(deviceID: "pack-3")).values
        XCTAssertLessThanOrEqual(kept.count, LiveTelemetry.maxKeysPerDevice, "of \(frames * keysPerFrame) keys sent")
        XCTAssertEqual(kept.count, LiveTelemetry.maxKeysPerDevice)
        XCTAssertTrue((0..<keysPerFrame).allSatisfy { kept["k\(frames - 1)-\($0)"] != nil }, "the newest keys are the ones kept")
        XCTAssertFalse(agent.messages.closed, "the agent stays connected")
        await deployment.stop()
    }

    func testAPeerThatPingsWithoutReadingIsCutNotBuffered() async throws {
        let deployment = try await LocalDeployment.start(devices: ["pack-4", "pack-5"])
        let deaf = try await RawConnection.open(to: deployment, tls: try deployment.clientTLS(deviceID: "pack-4"))
        try await deaf.send(.hello(.init(role: .agentControl, software: "deaf")))
        try await waitUntil("the relay welcomed the agent") { !deaf.messages.messages.isEmpty }
        try await deaf.stopReading()

        // Pings in writes of 4,096; every one asks for a pong the peer never reads. Without the
        // bound the relay would hold all of them (measured: not cut after 64 MiB of pings); with
        // it the connection is closed after about 8 MiB, kernel buffers included.
        let batch = [TunnelMessage](repeating: .ping(7), count: 4_096)
        var frame = ByteBuffer()
        TunnelMessage.ping(7).write(to: &frame)
        let batchBytes = batch.count * frame.readableBytes
        var sent = 0
        var cut = false
        while sent < 32 << 20 {
            do {
                try await deaf.send(batch)
            } catch {
                cut = true
                break
            }
            sent += batchBytes
        }
        XCTAssertTrue(cut, "the relay still took pings after \(sent) bytes of them")
        XCTAssertGreaterThan(sent, TunnelLimits.maxUnsentBytesBeforeReply, "not cut before its pongs could pass the bound")

        // Another agent on the same relay is welcomed and answered as usual.
        let other = try await RawConnection.open(to: deployment, tls: try deployment.clientTLS(deviceID: "pack-5"))
        try await other.send(.hello(.init(role: .agentControl, software: "polite")))
        try await other.send(.ping(42))
        try await waitUntil("the other agent got its pong") {
            other.messages.messages.contains { if case .pong(42) = $0 { true } else { false } }
        }
        await deployment.stop()
    }
}
