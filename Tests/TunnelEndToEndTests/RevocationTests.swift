import Foundation
import NIOCore
import NIOPosix
import SQLiteNIO
import SharedWire
import TunnelHarness
import TunnelRelay
import XCTest

/// Revoking a device cuts it at once and keeps it out; presence follows the agent.
final class RevocationTests: XCTestCase {
    func testRevokeCutsTheLiveAgentAndItsSessionAndRefusesItsReturn() async throws {
        let deployment = try await LocalDeployment.start()
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath, reconnectMax: 0.5)
        try await waitUntil("the relay recorded the agent online") {
            try await deployment.store.device(id: "pack-1")?.presence.online == true
        }
        let presence = try await deployment.store.device(id: "pack-1")?.presence
        XCTAssertEqual(presence?.agentVersion, "tunnel-agent/test")
        XCTAssertNotNil(presence?.remoteAddress)

        let client = MessageCollector()
        _ = try await deployment.dialClient(credential: "\(try await deployment.openSession(deviceID: "pack-1"))") { client }
        try await client.waitUntilConnected()

        try await deployment.store.revokeDevice(id: "pack-1", at: Date())  // as `tunnel-relay device revoke` does
        try await client.waitUntilClosed()
        XCTAssertEqual(client.goingAway?.code, .deviceRevoked, "\(String(describing: client.goingAway))")
        try await waitUntil("the agent is off the relay") { deployment.relay.agents.entry(deviceID: "pack-1") == nil }
        try await waitUntil("the agent's redial is refused and audited") {
            try await deployment.store.auditEntries(AuditQuery(deviceID: "pack-1")).contains { $0.event == .agentRefused }
        }
        XCTAssertNil(deployment.relay.agents.entry(deviceID: "pack-1"), "it stays out")
        try await waitUntil("presence shows it offline") {
            try await deployment.store.device(id: "pack-1")?.presence.online == false
        }
        await bms.close()
        await deployment.stop()
    }

    func testASessionTheOperatorEndsIsClosedWithTheReason() async throws {
        let deployment = try await LocalDeployment.start()
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)
        let token = try await deployment.openSession(deviceID: "pack-1")
        let client = MessageCollector()
        _ = try await deployment.dialClient(credential: "\(token)") { client }
        try await client.waitUntilConnected()

        // As `tunnel-relay session end` does for a running session, from another process.
        try await deployment.store.appendAudit(
            AuditEntry(
                at: Date(), event: .sessionEndRequested, actor: "cli", deviceID: "pack-1", sessionID: token.sessionID,
                reason: "ended by the relay's operator"))
        try await client.waitUntilClosed()
        XCTAssertEqual(client.goingAway?.code, .sessionEnded)
        XCTAssertEqual(client.goingAway?.message, "ended by the relay's operator")
        try await waitUntil("the end is recorded with its reason") {
            try await deployment.store.session(id: token.sessionID)?.ending?.reason == "ended by the relay's operator"
        }
        XCTAssertNotNil(deployment.relay.agents.entry(deviceID: "pack-1"), "the agent stays connected")
        await bms.close()
        await deployment.stop()
    }

    /// An entry written by a node whose clock is an hour behind, after one already read, is
    /// still acted on: the relay follows the log by entry ID, not by time.
    func testAnEndRequestFromANodeWhoseClockIsBehindStillEndsTheSession() async throws {
        let deployment = try await LocalDeployment.start()
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)
        let first = try await deployment.openSession(deviceID: "pack-1", mode: .monitor)
        let second = try await deployment.openSession(deviceID: "pack-1", mode: .monitor)
        let clients = [MessageCollector(), MessageCollector()]
        _ = try await deployment.dialClient(credential: "\(first)") { clients[0] }
        _ = try await deployment.dialClient(credential: "\(second)") { clients[1] }
        for client in clients { try await client.waitUntilConnected() }

        let stamp = Date()
        try await deployment.store.appendAudit(
            AuditEntry(
                at: stamp, event: .sessionEndRequested, actor: "cli", deviceID: "pack-1", sessionID: first.sessionID, reason: "first"))
        try await clients[0].waitUntilClosed()
        // Written later, stamped an hour before the entry already read.
        try await deployment.store.appendAudit(
            AuditEntry(
                at: stamp.addingTimeInterval(-3_600), event: .sessionEndRequested, actor: "cli", deviceID: "pack-1",
                sessionID: second.sessionID, reason: "second, from a clock an hour behind"))
        try await clients[1].waitUntilClosed()
        XCTAssertEqual(clients[1].goingAway?.code, .sessionEnded)
        XCTAssertEqual(clients[1].goingAway?.message, "second, from a clock an hour behind")
        await bms.close()
        await deployment.stop()
    }

    func testTheRelaysShutdownFinishesTheStoreWritesItsEndsCause() async throws {
        let deployment = try await LocalDeployment.start(shutdownGrace: .milliseconds(200))
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath, reconnectMax: 30)
        let token = try await deployment.openSession(deviceID: "pack-1")
        let client = MessageCollector()
        _ = try await deployment.dialClient(credential: "\(token)") { client }
        try await client.waitUntilConnected()
        try await waitUntil("the relay recorded the agent online") {
            try await deployment.store.device(id: "pack-1")?.presence.online == true
        }

        // Another process (an operator's CLI command, a backup) holds the database's write lock
        // for a while, as happens in the field: the relay's writes wait for it (busy timeout).
        let blocker = try await SQLiteConnection.open(
            storage: .file(path: deployment.directory + "/relay.sqlite"), threadPool: .singleton,
            on: MultiThreadedEventLoopGroup.singleton.any())
        _ = try await blocker.query("BEGIN IMMEDIATE", [])
        let release = Task {
            try await Task.sleep(for: .milliseconds(1_500))
            _ = try await blocker.query("COMMIT", [])
            try await blocker.close()
        }

        await deployment.stopRelay()
        XCTAssertEqual(deployment.relay.writes.pendingCount, 0, "the relay returned with store writes still waiting")
        try await release.value
        let session = try await deployment.store.session(id: token.sessionID)
        XCTAssertNotNil(session?.ending, "the session's end is written")
        let online = try await deployment.store.device(id: "pack-1")?.presence.online
        XCTAssertEqual(online, false, "and the agent's offline")
        await bms.close()
        await deployment.stop()
    }
}
